"""Access is scoped in one place (ARCHITECTURE.md rule 5): every model that pages or the API list has a
`for_user()` of its own. A new listable model without one makes this test fail."""

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from sciencecity.accounts.scoping import ScopedQuerySet
from sciencecity.catalog.models import Bundle, CatalogVersion, MaterialSpec, ServiceItem
from sciencecity.catalog.services import import_catalog, publish_version
from tests.factories import DepartmentFactory, UserFactory, staff

# Models that pages and the API list, by label. Rows reached only through one of these (an item's steps,
# a bundle's questions) are read through their parent and need no scope of their own.
LISTED = {
    "accounts.User",
    "accounts.Department",
    "audit.AuditEvent",
    "catalog.CatalogVersion",
    "catalog.MaterialSpec",
    "catalog.ServiceItem",
    "catalog.Bundle",
    "catalog.DevolvedPower",  # the power list is published: everyone reads every power
    "enterprises.Enterprise",
    "projects.Project",
    "approvals.Application",
    "approvals.ReviewTask",
    "approvals.Certificate",
    "notifications.Notification",
    "problems.Problem",
    # The rivers' water quality: public to everyone signed in (rivers.models.PublicToStaffQuerySet).
    "problems.River",
    "problems.MonitoringSection",
    "problems.WaterReading",
    "api.ApiToken",
    "workdays.DeadlineRecount",
    "projects.LedgerImport",
    "enterprises.InnovationPlatform",
    "policies.Policy",
    "policies.PolicyMatch",
    "policies.PolicyNotice",
    "policies.Claim",
    "fund.Investment",
    "partybuilding.Organization",
    "partybuilding.PartyMember",
    "partybuilding.PioneerTeam",
    "partybuilding.Alliance",
    "partybuilding.Activity",
    "partybuilding.EvaluationScheme",
    "partybuilding.Evaluation",
    "cockpit.ZoneReport",
    "interactions.Interaction",
    "interactions.ServiceEvent",  # staff read all; an enterprise the events it takes part in
    "interactions.EventDemand",  # an event's demands: an enterprise reads its own only
    "projects.Campaign",
    "projects.CampaignRound",
    "projects.RoundScore",
    "projects.MassStart",  # public announcements: every signed-in reader
    "projects.MassStartProject",  # an event's projects, in the reader's project scope
}


@pytest.mark.parametrize("label", sorted(LISTED))
def test_listed_model_has_its_own_for_user(label):
    model = apps.get_model(label)
    queryset = model._default_manager.all()
    assert isinstance(queryset, ScopedQuerySet), f"{label}'s default manager is not scoped"
    assert type(queryset).for_user is not ScopedQuerySet.for_user, f"{label} does not define for_user()"


def test_every_model_of_our_apps_is_listed_or_a_child_row():
    children = {
        "catalog.ItemStep",
        "catalog.ItemMaterial",
        "catalog.BundleItem",
        "catalog.SituationQuestion",
        "catalog.SituationRule",
        "catalog.ItemDependency",
        "catalog.FormField",
        "catalog.FormRule",
        "catalog.PowerItem",  # read through its power
        "catalog.ReplacedItem",  # read through the merged item (三评合一)
        "workdays.HolidayOverride",  # the calendar is edited in the admin only
        "workdays.CalendarYear",
        "approvals.ApplicationItem",  # read through their application or task
        "approvals.SubmittedMaterial",
        "approvals.CorrectionNotice",
        "approvals.TaskPause",
        "approvals.TaskEvent",
        "approvals.Delivery",
        "approvals.LicencePermit",  # read through its industry licence (一业一证)
        "approvals.Rating",
        "workflow.NumberSequence",
        "approvals.ApplicationCountSnapshot",  # zone-wide counts, read only by the leaders' overview
        "problems.ProblemFigureSnapshot",  # grouped counts, read only by the statistics (`problems.figures`)
        "cockpit.CockpitSnapshot",  # a period's counts, read only by the cockpit's zone-wide readers
        "interactions.Finding",  # read through its interaction record
        "interactions.ListItem",  # reference data: the positive and negative lists, edited in the admin
        "interactions.EventParticipant",  # read through its service event, whose scope it shares
        "api.IdempotencyRecord",  # read only by the idempotency layer, per user and key
        "problems.ProblemEvent",  # read through their problem (its timeline)
        "problems.ProblemPhoto",  # served by problems.views.photo, which checks the problem's scope
        "problems.ProblemCategory",  # reference data: every active category is public (reporting, Open311)
        "problems.RoutingRule",  # edited in the admin only
        # A project's file: read through the project, whose scope they share (`Project.objects.for_user`).
        "projects.ProjectStage",
        "projects.Milestone",
        "projects.PhaseChange",
        "projects.InvestmentPlan",
        "projects.MonthlyReport",
        "projects.ReportPhoto",
        "projects.EscortMember",
        "projects.EscortConsent",
        "projects.ServiceLog",
        "projects.SupervisionNote",
        "projects.Inspection",
        "projects.ProjectType",  # reference data: types and their milestones, edited in the admin
        "projects.MilestoneKind",
        "projects.WarningRule",  # edited in the admin only
        "enterprises.EnterpriseYear",  # the enterprise file: read through the enterprise, whose scope they share
        "enterprises.Qualification",
        "policies.Condition",  # read through its policy
        "policies.ClaimMaterial",  # read through its claim
        "fund.Vote",  # read through its investment
        "fund.Tranche",
        "partybuilding.OrganizationEvent",  # read through its organization
        "partybuilding.Officer",
        "partybuilding.Transfer",  # read through its member, in the members' scope
        "partybuilding.TeamLink",  # read through its team
        "partybuilding.TeamMember",
        "partybuilding.AllianceMember",  # read through its alliance
        "partybuilding.Attendance",  # read through its activity, names only to those who read the members
        "partybuilding.MeetingRule",  # reference data, edited in the admin
        "partybuilding.Indicator",  # read through its scheme
        "partybuilding.Score",  # read through its evaluation
        "projects.ScoringRule",  # read through its campaign, which every signed-in person may read
    }
    ours = {model._meta.label for model in apps.get_models() if model.__module__.startswith("sciencecity.")}
    unclassified = ours - LISTED - children
    assert not unclassified, f"say whether these are listed (and scope them) or child rows: {unclassified}"


MINI_CATALOG = """
format: 1
version: {label: 测试, valid_from: 2026-01-01}
materials:
  - {code: licence, name: 营业执照, source: enterprise, source_field: credit_code}
items:
  - {code: permit, name: 施工许可, department: housing, stage: construction_permit, promised_limit_days: 5,
     materials: [licence]}
bundles:
  - {code: start, name: 开工一件事, lead_department: housing, promised_limit_days: 10,
     items: [{item: permit, mandatory: true}]}
"""


@pytest.mark.django_db
def test_drafts_are_seen_only_by_catalog_editors_published_rows_by_everyone():
    DepartmentFactory(code="housing")
    draft = import_catalog(MINI_CATALOG)
    published = import_catalog(MINI_CATALOG)
    publish_version(published, user=None)
    admin = staff("administrator")
    for viewer in (AnonymousUser(), UserFactory(), staff("window_clerk")):
        assert list(CatalogVersion.objects.for_user(viewer)) == [published]
        for model in (Bundle, ServiceItem, MaterialSpec):
            assert {row.version_id for row in model.objects.for_user(viewer)} == {published.pk}
    for model in (Bundle, ServiceItem, MaterialSpec):
        assert {row.version_id for row in model.objects.for_user(admin)} == {draft.pk, published.pk}
