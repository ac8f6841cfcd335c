"""The "1+N+5" escort: the team, the enterprise's help-and-do consent, the service log, supervision notes."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sciencecity.audit.models import AuditEvent
from sciencecity.problems.services import lifecycle
from sciencecity.projects.models import EscortMember, ServiceLog
from sciencecity.projects.services import escort

from .conftest import TODAY


def test_the_team_has_one_lead_specialists_of_departments_and_an_instructor(team):
    roles = dict(EscortMember.objects.filter(project=team.project).values_list("user__username", "role"))
    assert roles == {"lead": "lead", "specialist": "specialist", "instructor": "instructor"}
    # A second lead takes over; the first stays on the team.
    escort.set_member(team.admin, team.project, team.other_specialist, "lead")
    roles = dict(EscortMember.objects.filter(project=team.project).values_list("user__username", "role"))
    assert (
        roles["other-specialist"] == "lead" and roles["lead"] == "instructor"
    )  # no department: not a specialist

    with pytest.raises(ValidationError) as error:
        escort.set_member(team.admin, team.project, team.applicant, "specialist")
    assert error.value.message_dict["user"] == ["护航团队成员须为在岗的机关工作人员。"]
    with pytest.raises(ValidationError):
        escort.set_member(
            team.admin, team.project, team.instructor, "specialist"
        )  # a specialist needs a department
    with pytest.raises(PermissionDenied):
        escort.set_member(team.specialist, team.project, team.other_specialist, "specialist")

    escort.remove_member(team.admin, team.project, team.instructor)
    assert not EscortMember.objects.filter(project=team.project, user=team.instructor).exists()
    assert AuditEvent.objects.filter(action="projects.remove_escort_member").count() == 1


def test_consent_is_the_enterprises_own_and_can_be_revoked(team):
    assert not escort.may_help(team.specialist, team.project)
    with pytest.raises(PermissionDenied):
        escort.grant_consent(team.specialist, team.project, "开工一件事")
    with pytest.raises(PermissionDenied):
        escort.grant_consent(team.stranger, team.project, "开工一件事")
    with pytest.raises(ValidationError):
        escort.grant_consent(team.applicant, team.project, "   ")
    with pytest.raises(ValidationError):
        escort.grant_consent(team.applicant, team.project, "开工一件事", TODAY - datetime.timedelta(days=1))

    consent = escort.grant_consent(
        team.applicant, team.project, "开工一件事、联合验收一件事", datetime.date(2027, 6, 30)
    )
    assert escort.consent_in_force(team.project) == consent
    assert escort.may_help(team.specialist, team.project) and escort.may_help(team.lead, team.project)
    assert not escort.may_help(
        team.instructor, team.project
    )  # the instructor guides party work, not paperwork
    assert not escort.may_help(team.other_specialist, team.project)  # not on this team

    escort.revoke_consent(team.applicant, team.project)
    assert escort.consent_in_force(team.project) is None and not escort.may_help(
        team.specialist, team.project
    )
    with pytest.raises(ValidationError):
        escort.revoke_consent(team.applicant, team.project)


def test_a_consent_expires(team, time_machine):
    escort.grant_consent(team.applicant, team.project, "开工一件事", datetime.date(2026, 11, 30))
    assert escort.may_help(team.specialist, team.project)
    time_machine.move_to(datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC), tick=False)
    assert not escort.may_help(team.specialist, team.project)


def test_the_service_log_is_kept_by_the_team_and_evaluated_by_the_enterprise(team):
    problem = lifecycle.report_problem(
        team.applicant,
        lifecycle.Report(
            category=team.category,
            title="施工用电未接通",
            description="二号地块临时用电报装两周未接通。",
            source="enterprise_demand",
            enterprise=team.enterprise,
            project=team.project,
        ),
    )
    escort.log_service(team.specialist, team.project, "visit", "上门指导施工许可材料准备")
    escort.log_service(team.lead, team.project, "coordinate", "协调供电公司现场办公", problem=problem)
    escort.log_service(team.lead, team.project, "supervise", "督促总包单位增加劳动力")
    escort.log_service(team.applicant, team.project, "evaluation", "服务及时、专业", score=5)
    kinds = list(
        ServiceLog.objects.filter(project=team.project).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["visit", "coordinate", "supervise", "evaluation"]

    with pytest.raises(PermissionDenied):
        escort.log_service(team.other_specialist, team.project, "visit", "不是本项目团队成员")
    with pytest.raises(PermissionDenied):
        escort.log_service(team.specialist, team.project, "evaluation", "专员不能替企业评价", score=5)
    with pytest.raises(ValidationError) as error:
        escort.log_service(team.applicant, team.project, "evaluation", "没有评分")
    assert "score" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        escort.log_service(team.specialist, team.project, "help", "未经授权的代办")
    assert error.value.message_dict["kind"] == ["企业尚未授权帮办代办,不能记录代办服务。"]
    with pytest.raises(ValidationError):
        escort.log_service(
            team.specialist, team.project, "visit", "明天的走访", served_on=TODAY + datetime.timedelta(days=1)
        )
    with pytest.raises(ValidationError):
        escort.log_service(team.specialist, team.project, "visit", "含控制字符\x1b[31m")
    assert ServiceLog.objects.filter(project=team.project).count() == 4


def test_supervisors_write_notes_others_cannot(team):
    escort.add_supervision_note(team.supervisor, team.project, "抽查护航服务记录,督促按月报送。")
    with pytest.raises(PermissionDenied):
        escort.add_supervision_note(team.lead, team.project, "领导不是纪检")
    assert team.project.supervision_notes.count() == 1
