"""The enterprise and project registries: services (validation, permissions, phase table, audit) and admin."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from stdnum.cn import uscc

from sciencecity.audit.models import AuditEvent
from sciencecity.enterprises import services as enterprise_services
from sciencecity.enterprises.models import Enterprise
from sciencecity.enterprises.validators import make_credit_code
from sciencecity.projects import services as project_services
from sciencecity.projects.models import Project, validate_project_code
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory, applicant_of, staff

pytestmark = pytest.mark.django_db

Phase = Project.Phase
PHASE_ORDER = list(Phase.values)


def enterprise_fields(**overrides):
    fields = {
        "name": "重庆芯源微电子有限公司",
        "credit_code": make_credit_code("500106", 12_345_678),
        "legal_representative": "王伟",
        "industry": "集成电路",
        "is_high_tech": True,
        "is_tech_based": True,
    }
    return fields | overrides


def project_fields(enterprise, **overrides):
    fields = {
        "code": "2026-500106-39-03-000001",
        "name": "芯源功率半导体芯片项目",
        "enterprise": enterprise,
        "total_investment": Decimal("120000"),
        "location": "重庆市沙坪坝区西永街道",
    }
    return fields | overrides


def errors_of(excinfo, field):
    return excinfo.value.message_dict[field]


def codes_of(excinfo, field):
    return [error.code for error in excinfo.value.error_dict[field]]


@pytest.fixture
def administrator():
    return staff("administrator")


# --- enterprises --------------------------------------------------------------------------------------


class TestRegisterEnterprise:
    def test_credit_code_is_compacted_and_upper_cased(self, administrator):
        code = make_credit_code("500107", 20_000_007)
        messy = f" {code[:2]}-{code[2:8]} {code[8:]} ".lower()
        enterprise = enterprise_services.register_enterprise(
            administrator, **enterprise_fields(credit_code=messy)
        )
        enterprise.refresh_from_db()
        assert enterprise.credit_code == code
        assert uscc.is_valid(enterprise.credit_code)

    def test_wrong_length_says_how_long(self, administrator):
        with pytest.raises(ValidationError) as excinfo:
            enterprise_services.register_enterprise(
                administrator, **enterprise_fields(credit_code=make_credit_code("500106", 1)[:17])
            )
        assert codes_of(excinfo, "credit_code") == ["credit_code_length"]
        assert errors_of(excinfo, "credit_code") == ["统一社会信用代码应为18位,当前为17位。"]

    def test_wrong_check_character_names_the_expected_one(self, administrator):
        code = make_credit_code("500106", 1)
        wrong = code[:17] + ("0" if code[17] != "0" else "1")
        with pytest.raises(ValidationError) as excinfo:
            enterprise_services.register_enterprise(administrator, **enterprise_fields(credit_code=wrong))
        assert codes_of(excinfo, "credit_code") == ["credit_code_checksum"]
        assert f"最后一位应为 {code[17]}" in errors_of(excinfo, "credit_code")[0]

    def test_forbidden_letters_are_a_format_error(self, administrator):
        with pytest.raises(ValidationError) as excinfo:
            enterprise_services.register_enterprise(
                administrator, **enterprise_fields(credit_code="91500106MA5UIOZSV1")
            )
        assert codes_of(excinfo, "credit_code") == ["credit_code_format"]

    def test_duplicate_credit_code_names_the_holder_even_when_written_differently(self, administrator):
        first = enterprise_services.register_enterprise(administrator, **enterprise_fields())
        spaced = " ".join(first.credit_code)
        with pytest.raises(ValidationError) as excinfo:
            enterprise_services.register_enterprise(
                administrator, **enterprise_fields(name="另一家公司", credit_code=spaced)
            )
        assert errors_of(excinfo, "credit_code") == [
            "该统一社会信用代码已登记为企业 重庆芯源微电子有限公司。"
        ]
        assert Enterprise.objects.count() == 1

    def test_missing_required_fields_are_reported_by_field(self, administrator):
        with pytest.raises(ValidationError) as excinfo:
            enterprise_services.register_enterprise(administrator, credit_code=make_credit_code("500106", 3))
        assert {"name", "legal_representative"} <= set(excinfo.value.message_dict)

    def test_unknown_field_is_a_programming_error(self, administrator):
        with pytest.raises(TypeError, match="colour"):
            enterprise_services.register_enterprise(administrator, **enterprise_fields(colour="red"))

    def test_only_administrators_and_the_system_register(self):
        applicant = applicant_of(EnterpriseFactory())
        with pytest.raises(PermissionDenied):
            enterprise_services.register_enterprise(applicant, **enterprise_fields())
        with pytest.raises(PermissionDenied):
            enterprise_services.register_enterprise(staff("window_clerk"), **enterprise_fields())
        assert enterprise_services.register_enterprise(None, **enterprise_fields()).pk

    def test_registration_is_audited(self, administrator):
        enterprise = enterprise_services.register_enterprise(administrator, **enterprise_fields())
        event = AuditEvent.objects.get(action="enterprises.register_enterprise")
        assert event.actor == administrator
        assert event.target_id == str(enterprise.pk)
        assert event.before is None
        assert event.after["credit_code"] == enterprise.credit_code
        assert event.after["name"] == "重庆芯源微电子有限公司"


class TestUpdateEnterprise:
    def test_update_is_audited_with_before_and_after(self, administrator):
        enterprise = EnterpriseFactory(name="旧名称有限公司")
        enterprise_services.update_enterprise(
            administrator, enterprise, name=" 新名称有限公司 ", is_high_tech=True
        )
        enterprise.refresh_from_db()
        assert (enterprise.name, enterprise.is_high_tech) == ("新名称有限公司", True)
        event = AuditEvent.objects.get(action="enterprises.update_enterprise")
        assert (event.before["name"], event.after["name"]) == ("旧名称有限公司", "新名称有限公司")
        assert (event.before["is_high_tech"], event.after["is_high_tech"]) == (False, True)

    def test_taking_another_enterprises_code_is_refused(self, administrator):
        holder, other = EnterpriseFactory(name="甲公司"), EnterpriseFactory()
        with pytest.raises(ValidationError) as excinfo:
            enterprise_services.update_enterprise(
                administrator, other, credit_code=holder.credit_code.lower()
            )
        assert errors_of(excinfo, "credit_code") == ["该统一社会信用代码已登记为企业 甲公司。"]

    def test_a_change_that_changes_nothing_writes_nothing(self, administrator):
        enterprise = EnterpriseFactory()
        enterprise_services.update_enterprise(administrator, enterprise, name=enterprise.name)
        assert not AuditEvent.objects.exists()

    def test_needs_the_change_permission(self):
        enterprise = EnterpriseFactory()
        with pytest.raises(PermissionDenied):
            enterprise_services.update_enterprise(applicant_of(enterprise), enterprise, name="改名")


class TestLinkUserToEnterprise:
    def test_administrator_links_and_it_is_audited(self, administrator):
        enterprise, user = EnterpriseFactory(), UserFactory(roles=["applicant"])
        enterprise_services.link_user_to_enterprise(administrator, user, enterprise)
        user.refresh_from_db()
        assert user.enterprise == enterprise
        event = AuditEvent.objects.get(action="accounts.link_user_to_enterprise")
        assert (event.before, event.after) == ({"enterprise": None}, {"enterprise": enterprise.pk})
        assert "password" not in event.after

    def test_others_may_not_link(self):
        enterprise = EnterpriseFactory()
        with pytest.raises(PermissionDenied):
            enterprise_services.link_user_to_enterprise(applicant_of(enterprise), UserFactory(), enterprise)


# --- projects -----------------------------------------------------------------------------------------


class TestRegisterProject:
    def test_applicant_registers_for_own_enterprise(self):
        mine = EnterpriseFactory()
        applicant = applicant_of(mine)
        project = project_services.register_project(applicant, **project_fields(mine))
        assert project.enterprise == mine and project.phase == Phase.SIGNED
        event = AuditEvent.objects.get(action="projects.register_project")
        assert event.actor == applicant and event.after["code"] == project.code

    def test_applicant_may_not_register_for_another_enterprise(self):
        applicant = applicant_of(EnterpriseFactory())
        with pytest.raises(PermissionDenied, match="本企业"):
            project_services.register_project(applicant, **project_fields(EnterpriseFactory()))
        assert not Project.objects.exists()

    def test_user_without_enterprise_may_not_register(self):
        with pytest.raises(PermissionDenied):
            project_services.register_project(
                UserFactory(roles=["applicant"]), **project_fields(EnterpriseFactory())
            )

    def test_applicant_may_not_designate_key_projects(self):
        mine = EnterpriseFactory()
        with pytest.raises(PermissionDenied, match="重点项目"):
            project_services.register_project(applicant_of(mine), **project_fields(mine, is_key=True))

    def test_administrator_registers_for_any_enterprise(self, administrator):
        project = project_services.register_project(
            administrator, **project_fields(EnterpriseFactory(), is_key=True)
        )
        assert project.is_key

    def test_roles_without_the_permission_are_refused(self):
        for role in ("window_clerk", "project_specialist", "supervisor"):
            with pytest.raises(PermissionDenied):
                project_services.register_project(staff(role), **project_fields(EnterpriseFactory()))

    def test_bad_code_is_explained(self, administrator):
        with pytest.raises(ValidationError) as excinfo:
            project_services.register_project(
                administrator, **project_fields(EnterpriseFactory(), code="2026-5001")
            )
        assert codes_of(excinfo, "code") == ["project_code_format"]
        assert "年份-行政区划-行业-类型-流水号" in errors_of(excinfo, "code")[0]

    def test_duplicate_code_names_the_holder(self, administrator):
        ProjectFactory(code="2026-500106-39-03-000001", name="先登记的项目")
        with pytest.raises(ValidationError) as excinfo:
            project_services.register_project(administrator, **project_fields(EnterpriseFactory()))
        assert errors_of(excinfo, "code") == [
            "项目代码 2026-500106-39-03-000001 已被项目“先登记的项目”使用。"
        ]

    def test_negative_investment_and_unknown_choices_are_refused(self, administrator):
        with pytest.raises(ValidationError) as excinfo:
            project_services.register_project(
                administrator,
                **project_fields(
                    EnterpriseFactory(), total_investment=Decimal("-1"), investment_type="lottery"
                ),
            )
        assert {"total_investment", "investment_type"} <= set(excinfo.value.message_dict)

    def test_unknown_field_is_a_programming_error(self, administrator):
        with pytest.raises(TypeError, match="colour"):
            project_services.register_project(
                administrator, **project_fields(EnterpriseFactory(), colour="red")
            )


class TestUpdateProject:
    def test_update_is_audited_with_before_and_after(self):
        mine = EnterpriseFactory()
        project = ProjectFactory(enterprise=mine, name="旧项目名")
        applicant = applicant_of(mine)
        project_services.update_project(
            applicant, project, name="新项目名", total_investment=Decimal("80000")
        )
        event = AuditEvent.objects.get(action="projects.update_project")
        assert event.actor == applicant
        assert (event.before["name"], event.after["name"]) == ("旧项目名", "新项目名")
        assert Decimal(event.after["total_investment"]) == Decimal("80000")

    def test_applicant_may_not_update_another_enterprises_project(self):
        project = ProjectFactory()
        with pytest.raises(PermissionDenied):
            project_services.update_project(applicant_of(EnterpriseFactory()), project, name="抢来的项目")

    def test_applicant_may_not_move_a_project_to_another_enterprise(self):
        mine = EnterpriseFactory()
        project = ProjectFactory(enterprise=mine)
        with pytest.raises(PermissionDenied):
            project_services.update_project(applicant_of(mine), project, enterprise=EnterpriseFactory())
        project.refresh_from_db()
        assert project.enterprise == mine

    def test_applicant_may_not_change_the_key_flag(self):
        mine = EnterpriseFactory()
        project = ProjectFactory(enterprise=mine, is_key=True)
        with pytest.raises(PermissionDenied):
            project_services.update_project(applicant_of(mine), project, is_key=False)

    def test_specialist_updates_any_project(self):
        project = ProjectFactory()
        project_services.update_project(staff("project_specialist"), project, is_key=True)
        project.refresh_from_db()
        assert project.is_key

    def test_phase_is_not_updated_here(self):
        with pytest.raises(TypeError, match="phase"):
            project_services.update_project(None, ProjectFactory(), phase=Phase.STARTED)


class TestPhaseTransitions:
    def test_table_is_exactly_every_forward_move(self):
        table = {(source, target) for source, target, _permission in project_services.PHASE_TRANSITIONS}
        forward = {
            (source, target)
            for index, source in enumerate(PHASE_ORDER)
            for target in PHASE_ORDER[index + 1 :]
        }
        assert table == forward

    @pytest.mark.parametrize(
        ("source", "target", "permission"),
        project_services.PHASE_TRANSITIONS,
        ids=[f"{source}->{target}" for source, target, _p in project_services.PHASE_TRANSITIONS],
    )
    def test_allowed_row(self, source, target, permission):
        specialist = staff("project_specialist")
        assert specialist.has_perm(permission)
        project = ProjectFactory(phase=source)
        project_services.change_project_phase(specialist, project, target)
        project.refresh_from_db()
        assert project.phase == target
        event = AuditEvent.objects.get(action="projects.change_project_phase")
        assert (event.before["phase"], event.after["phase"], event.actor) == (source, target, specialist)

    @pytest.mark.parametrize(
        ("source", "target"),
        [(source, target) for index, source in enumerate(PHASE_ORDER) for target in PHASE_ORDER[: index + 1]],
    )
    def test_refused_row(self, source, target):
        project = ProjectFactory(phase=source)
        with pytest.raises(ValidationError) as excinfo:
            project_services.change_project_phase(staff("administrator"), project, target)
        message = errors_of(excinfo, "phase")[0]
        if source == target:
            assert message == f"项目已处于“{Phase(source).label}”阶段。"
        elif source == Phase.IN_OPERATION:
            assert message == "项目已投用,阶段不能再变更。"
        else:
            assert (
                message == f"项目阶段只能向前推进,不能从“{Phase(source).label}”退回“{Phase(target).label}”。"
            )
        project.refresh_from_db()
        assert project.phase == source
        assert not AuditEvent.objects.exists()

    def test_unknown_phase_is_refused(self):
        with pytest.raises(ValidationError, match="未知的项目阶段"):
            project_services.change_project_phase(None, ProjectFactory(), "on_the_moon")

    def test_applicant_moves_only_own_projects(self):
        mine = EnterpriseFactory()
        applicant = applicant_of(mine)
        project_services.change_project_phase(applicant, ProjectFactory(enterprise=mine), Phase.APPROVAL)
        with pytest.raises(PermissionDenied):
            project_services.change_project_phase(applicant, ProjectFactory(), Phase.APPROVAL)

    def test_roles_without_change_permission_are_refused(self):
        with pytest.raises(PermissionDenied):
            project_services.change_project_phase(staff("window_clerk"), ProjectFactory(), Phase.APPROVAL)


class TestNextProjectCode:
    def test_first_and_next_codes_are_valid(self):
        first = project_services.next_project_code(2026, "500106", "39", "03", first_serial=4200)
        assert first == "2026-500106-39-03-004200"
        validate_project_code(first)
        ProjectFactory(code=first)
        assert project_services.next_project_code(2026, "500106", "39", "03") == "2026-500106-39-03-004201"
        assert project_services.next_project_code(2026, "500107", "39", "03") == "2026-500107-39-03-000001"


# --- admin --------------------------------------------------------------------------------------------


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


CHANGELISTS = [
    "admin:accounts_user_changelist",
    "admin:accounts_department_changelist",
    "admin:enterprises_enterprise_changelist",
    "admin:projects_project_changelist",
    "admin:audit_auditevent_changelist",
]


class TestAdmin:
    @pytest.mark.parametrize("name", CHANGELISTS)
    def test_changelists_render(self, client, superuser, name):
        project = ProjectFactory(is_key=True)
        staff("department_reviewer")
        enterprise_services.update_enterprise(None, project.enterprise, name="有审计记录的公司")
        client.force_login(superuser)
        response = client.get(reverse(name))
        assert response.status_code == 200
        response = client.get(reverse(name), {"q": project.enterprise.credit_code})
        assert response.status_code == 200

    def test_change_pages_render(self, client, superuser):
        project = ProjectFactory()
        enterprise_services.update_enterprise(None, project.enterprise, name="有审计记录的公司")
        client.force_login(superuser)
        for url in (
            reverse("admin:projects_project_change", args=[project.pk]),
            reverse("admin:enterprises_enterprise_change", args=[project.enterprise.pk]),
            reverse("admin:accounts_user_change", args=[superuser.pk]),
            reverse("admin:accounts_user_add"),
            reverse("admin:projects_project_add"),
        ):
            assert client.get(url).status_code == 200, url

    def test_user_form_shows_role_labels(self, client, superuser):
        client.force_login(superuser)
        content = client.get(reverse("admin:accounts_user_change", args=[superuser.pk])).content.decode()
        assert "综合窗口受理人员" in content

    def test_project_changelist_does_not_query_per_row(
        self, client, superuser, django_assert_max_num_queries
    ):
        client.force_login(superuser)
        ProjectFactory.create_batch(3)
        url = reverse("admin:projects_project_changelist")
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        ProjectFactory.create_batch(20)
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(url)

    def test_admin_add_project_goes_through_the_service(self, client, superuser):
        enterprise = EnterpriseFactory()
        client.force_login(superuser)
        response = client.post(
            reverse("admin:projects_project_add"),
            {
                "code": "2026-500106-39-03-000777",
                "name": "后台登记的项目",
                "enterprise": enterprise.pk,
                "investment_type": "enterprise",
                "total_investment": "5000",
                "location": "重庆市沙坪坝区",
                "phase": "signed",
            },
        )
        assert response.status_code == 302, response.content.decode()
        project = Project.objects.get(code="2026-500106-39-03-000777")
        event = AuditEvent.objects.get(action="projects.register_project")
        assert (event.actor, event.target_id) == (superuser, str(project.pk))

    def test_admin_edit_changes_phase_through_the_table(self, client, superuser):
        project = ProjectFactory(phase=Phase.APPROVAL)
        client.force_login(superuser)
        url = reverse("admin:projects_project_change", args=[project.pk])
        data = {
            "code": project.code,
            "name": "改过名的项目",
            "enterprise": project.enterprise.pk,
            "investment_type": project.investment_type,
            "total_investment": "50000",
            "land_area": "20000",
            "floor_area": "60000",
            "location": project.location,
            "phase": "signed",
        }
        backwards = client.post(url, data)
        assert backwards.status_code == 200
        assert "项目阶段只能向前推进" in backwards.content.decode()
        project.refresh_from_db()
        assert project.phase == Phase.APPROVAL and project.name != "改过名的项目"

        forwards = client.post(url, data | {"phase": "started"})
        assert forwards.status_code == 302, forwards.content.decode()
        project.refresh_from_db()
        assert (project.phase, project.name) == (Phase.STARTED, "改过名的项目")
        actions = set(AuditEvent.objects.values_list("action", flat=True))
        assert {"projects.update_project", "projects.change_project_phase"} <= actions

    def test_admin_enterprise_form_normalizes_and_refuses_duplicates(self, client, superuser):
        holder = EnterpriseFactory(name="甲公司")
        client.force_login(superuser)
        data = {"name": "乙公司", "legal_representative": "李四", "credit_code": holder.credit_code.lower()}
        response = client.post(reverse("admin:enterprises_enterprise_add"), data)
        assert response.status_code == 200
        assert "该统一社会信用代码已登记为企业 甲公司。" in response.content.decode()
        code = make_credit_code("500120", 55_555_555)
        response = client.post(
            reverse("admin:enterprises_enterprise_add"), data | {"credit_code": f"{code[:9]}-{code[9:]}"}
        )
        assert response.status_code == 302, response.content.decode()
        assert Enterprise.objects.get(name="乙公司").credit_code == code
        assert AuditEvent.objects.filter(action="enterprises.register_enterprise", actor=superuser).exists()

    def test_admin_user_change_is_audited_without_password(self, client, superuser):
        user = UserFactory(username="clerk", roles=["window_clerk"])
        client.force_login(superuser)
        response = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
        form = response.context["adminform"].form
        data = {name: value for name, value in form.initial.items() if value is not None}
        data.update(
            {
                "username": "clerk",
                "display_name": "新姓名",
                "groups": [group.pk for group in user.groups.all()],
                "user_permissions": [],
                "last_login_0": "",
                "last_login_1": "",
                "date_joined_0": "2026-01-01",
                "date_joined_1": "09:00:00",
            }
        )
        data = {
            key: value for key, value in data.items() if key not in ("password", "last_login", "date_joined")
        }
        response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
        assert response.status_code == 302, response.content.decode()
        event = AuditEvent.objects.get(action="accounts.change_user")
        assert (event.before["display_name"], event.after["display_name"]) == (user.display_name, "新姓名")
        assert event.after["groups"] == ["window_clerk"]
        assert "password" not in event.after


class TestAuditAdminIsReadOnly:
    def test_superuser_may_view_but_not_add_change_or_delete(self, client, superuser):
        enterprise_services.register_enterprise(None, **enterprise_fields())
        event = AuditEvent.objects.get()
        client.force_login(superuser)
        change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
        view = client.get(change_url)
        assert view.status_code == 200
        content = view.content.decode()
        assert "重庆芯源微电子有限公司" in content  # the after data, shown as JSON
        assert '"name": "重庆芯源微电子有限公司"' in content.replace("&quot;", '"')
        assert 'name="_save"' not in content
        assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
        assert client.post(reverse("admin:audit_auditevent_add"), {"action": "forged"}).status_code == 403
        assert client.post(change_url, {"action": "rewritten"}).status_code == 403
        delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
        assert client.post(delete_url, {"post": "yes"}).status_code == 403
        changelist = client.post(
            reverse("admin:audit_auditevent_changelist"),
            {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
        )
        assert changelist.status_code in (200, 302)
        event.refresh_from_db()
        assert event.action == "enterprises.register_enterprise"
        assert AuditEvent.objects.filter(pk=event.pk).exists()

    def test_model_admin_permissions(self, rf, superuser):
        model_admin = admin.site._registry[AuditEvent]
        request = rf.get("/")
        request.user = superuser
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert model_admin.has_view_permission(request)
        assert "delete_selected" not in model_admin.get_actions(request)
