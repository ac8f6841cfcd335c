"""The roles of the platform as data: each is a Django group named by its code, holding named permissions.

`sync_roles()` runs after every migrate, so a fresh database has the groups and an upgraded one gets new
permissions. Administrators may add permissions to a group in the admin; sync only adds, never removes, so
their edits survive.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    permissions: tuple[str, ...]  # "app_label.codename"


_VIEW_REGISTRIES = (
    "enterprises.view_enterprise",
    "projects.view_project",
    "catalog.view_catalogversion",
    "catalog.view_serviceitem",
    "catalog.view_bundle",
    "accounts.view_department",
)

_VIEW_APPROVALS = (
    "approvals.view_application",
    "approvals.view_reviewtask",
    "approvals.view_certificate",
)

_VIEW_PROBLEMS = ("problems.view_problem", "problems.view_problemcategory")
_REPORT_PROBLEMS = (*_VIEW_PROBLEMS, "problems.report_problem")
# Officials who meet enterprises record each visit, meeting or event in the interaction register.
# … and hold service events for enterprises (dialogues, policy briefings, matchmaking, group visits).
_HOLD_EVENTS = ("interactions.view_serviceevent", "interactions.hold_serviceevent")
_RECORD_INTERACTIONS = ("interactions.view_interaction", "interactions.record_interaction", *_HOLD_EVENTS)

ROLES: dict[str, Role] = {
    role.code: role
    for role in (
        Role(
            "applicant",
            _("企业申请人"),
            (
                "projects.add_project",
                "projects.change_project",
                "enterprises.view_enterprise",
                "enterprises.keep_own_file",
                "policies.claim_policy",
                "fund.apply_fund",
                "projects.view_project",
                *_VIEW_APPROVALS,
                "approvals.add_application",
                "approvals.submit_application",
                "approvals.rate_application",
                *_REPORT_PROBLEMS,
                "interactions.view_interaction",
                "interactions.respond_interaction",
                "interactions.view_serviceevent",  # the service events it takes part in
            ),
        ),
        Role(
            "window_clerk",
            _("综合窗口受理人员"),
            (
                *_VIEW_REGISTRIES,
                *_VIEW_APPROVALS,
                "approvals.intake_application",
                "approvals.deliver_application",
            ),
        ),
        Role(
            "department_reviewer",
            _("部门审批人员"),
            (
                *_VIEW_REGISTRIES,
                *_VIEW_APPROVALS,
                "approvals.review_task",
                *_REPORT_PROBLEMS,
                "problems.handle_problem",
                "problems.record_water_quality",  # for the sections of their own department (rivers.services)
                "policies.serve_policy",
                *_RECORD_INTERACTIONS,
            ),
        ),
        Role(
            "department_head",
            _("部门负责人"),
            (
                *_VIEW_REGISTRIES,
                *_VIEW_APPROVALS,
                "accounts.view_user",
                "approvals.review_task",
                "approvals.manage_department_tasks",
                *_REPORT_PROBLEMS,
                "problems.handle_problem",
                "problems.record_water_quality",
                *_RECORD_INTERACTIONS,
                # The honouring department keeps its own policies and serves them.
                "policies.view_policy",
                "policies.add_policy",
                "policies.change_policy",
                "policies.serve_policy",
            ),
        ),
        Role(
            "project_specialist",
            _("项目服务专员"),
            (
                *_VIEW_REGISTRIES,
                *_VIEW_APPROVALS,
                "projects.change_project",
                "projects.record_mass_start",
                "approvals.prepare_application",
                *_REPORT_PROBLEMS,
                *_RECORD_INTERACTIONS,
            ),
        ),
        Role(
            "dispatcher",
            _("指挥中心调度员"),
            (
                *_VIEW_REGISTRIES,
                *_REPORT_PROBLEMS,
                "problems.dispatch_problem",
                "problems.verify_problem",
                "problems.view_routingrule",
            ),
        ),
        Role(
            "inspector",
            _("巡查检查人员"),
            (
                *_VIEW_REGISTRIES,
                *_REPORT_PROBLEMS,
                "problems.verify_problem",
                "projects.inspect_project",
                *_RECORD_INTERACTIONS,
            ),
        ),
        Role(
            "party_officer",
            _("党建工作人员"),
            (
                *_VIEW_REGISTRIES,
                # Kept within the subtrees of the organizations where the officer holds a post
                # (`partybuilding.access`): the role alone opens no organization.
                "partybuilding.keep_party",
                "partybuilding.reveal_id_number",
            ),
        ),
        Role(
            "leader",
            _("领导"),
            (
                *_VIEW_REGISTRIES,
                *_VIEW_APPROVALS,
                *_VIEW_PROBLEMS,
                "audit.view_auditevent",
                "projects.manage_escort",
                "projects.run_campaign",
                "fund.vote_fund",  # the leaders sit on the invest-first fund's committee
                "cockpit.view_cockpit",
                "cockpit.generate_report",
                *_RECORD_INTERACTIONS,
            ),
        ),
        Role(
            "supervisor",
            _("纪检监督(只读)"),
            (
                *_VIEW_REGISTRIES,
                *_VIEW_APPROVALS,
                *_VIEW_PROBLEMS,
                "audit.view_auditevent",
                "accounts.view_user",
                "projects.supervise_project",
                "cockpit.view_cockpit",
                "interactions.view_interaction",
                "interactions.supervise_interaction",
                "interactions.view_serviceevent",
            ),
        ),
        Role(
            "administrator",
            _("系统管理员"),
            (
                *_VIEW_REGISTRIES,
                "audit.view_auditevent",
                "accounts.add_user",
                "accounts.change_user",
                "accounts.view_user",
                "accounts.add_department",
                "accounts.change_department",
                "catalog.add_catalogversion",
                "catalog.change_catalogversion",
                "catalog.delete_catalogversion",
                "catalog.publish_catalogversion",
                "catalog.view_materialspec",
                "catalog.add_materialspec",
                "catalog.change_materialspec",
                "catalog.delete_materialspec",
                "catalog.add_serviceitem",
                "catalog.change_serviceitem",
                "catalog.delete_serviceitem",
                "catalog.add_bundle",
                "catalog.change_bundle",
                "catalog.delete_bundle",
                # the devolved municipal powers' list (edited, withdrawn, imported; never deleted)
                "catalog.view_devolvedpower",
                "catalog.add_devolvedpower",
                "catalog.change_devolvedpower",
                "catalog.withdraw_devolvedpower",
                "workdays.view_holidayoverride",
                "workdays.add_holidayoverride",
                "workdays.change_holidayoverride",
                "workdays.delete_holidayoverride",
                # the interaction register's positive and negative lists
                "interactions.view_listitem",
                "interactions.add_listitem",
                "interactions.change_listitem",
                "interactions.view_serviceevent",
                "workdays.view_calendaryear",
                "workdays.add_calendaryear",
                "workdays.change_calendaryear",
                "workdays.view_deadlinerecount",
                *_VIEW_APPROVALS,
                "approvals.cancel_application",
                "approvals.change_certificate",  # revoke a certificate
                "enterprises.add_enterprise",
                "enterprises.change_enterprise",
                "enterprises.add_qualification",
                "enterprises.change_qualification",
                "enterprises.add_innovationplatform",
                "enterprises.change_innovationplatform",
                "policies.view_policy",
                "policies.add_policy",
                "policies.change_policy",
                "policies.keep_any_policy",
                "policies.serve_policy",
                "fund.manage_fund",
                "projects.add_project",
                "projects.change_project",
                "projects.manage_escort",
                "projects.run_campaign",
                "projects.record_mass_start",
                "projects.view_warningrule",
                "projects.change_warningrule",
                "projects.view_projecttype",
                "projects.add_projecttype",
                "projects.change_projecttype",
                "api.view_apitoken",
                "api.add_apitoken",
                "api.change_apitoken",
                "api.revoke_apitoken",
                *_VIEW_PROBLEMS,
                "problems.add_problemcategory",
                "problems.change_problemcategory",
                "problems.view_routingrule",
                "problems.add_routingrule",
                "problems.change_routingrule",
                "problems.delete_routingrule",
                # the rivers and their monitoring sections (readings are the sections' departments')
                "problems.view_river",
                "problems.add_river",
                "problems.change_river",
                "problems.view_monitoringsection",
                "problems.add_monitoringsection",
                "problems.change_monitoringsection",
                "problems.view_waterreading",
            ),
        ),
    )
}


def role_label(code: str) -> str:
    role = ROLES.get(code)
    return str(role.label) if role else code


def sync_roles() -> None:
    """Create each role's group and grant its permissions; raise if a named permission does not exist."""
    from django.contrib.auth.models import Group, Permission

    for role in ROLES.values():
        group, _created = Group.objects.get_or_create(name=role.code)
        wanted = []
        for dotted in role.permissions:
            app_label, codename = dotted.split(".", 1)
            try:
                wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
            except Permission.DoesNotExist:
                raise LookupError(f"role {role.code!r} names unknown permission {dotted!r}") from None
        group.permissions.add(*wanted)
