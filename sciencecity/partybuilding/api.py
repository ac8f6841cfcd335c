"""Party building through the API: the organization tree and its changes, members (masked; the full ID number
by an audited reveal), pioneer teams with their links and members, alliances, activities with attendance, and
the outcomes of each team, organization and alliance with the records behind every figure.

Reads go through the scoped querysets (members: the officers of their organization and above, and the member
themself; outside: 404); writes through `services.*`, whose refusals are the platform's problem details."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from sciencecity.accounts.models import Department, User
from sciencecity.api.idempotency import idempotent
from sciencecity.api.pagination import CursorPage
from sciencecity.api.views import ScopedViewSet
from sciencecity.catalog.models import Bundle
from sciencecity.enterprises.models import Enterprise
from sciencecity.problems.models import ProblemCategory
from sciencecity.projects.models import Project

from . import outcomes, selectors
from .access import require_keeper
from .models import (
    Activity,
    Alliance,
    AllianceMember,
    Attendance,
    Evaluation,
    EvaluationScheme,
    Indicator,
    Officer,
    Organization,
    PartyMember,
    PioneerTeam,
    Score,
    TeamLink,
    TeamMember,
)
from .services import activities as activity_services
from .services import evaluations as evaluation_services
from .services import members as member_services
from .services import organizations as tree
from .services import teams as team_services

YEAR = OpenApiParameter("year", int, description="The year of the outcomes (default: this year)")


def _given(serializer_class, request) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _year(request) -> int:
    from .views import year_of

    return year_of(request)


def _one(model, pk, field: str):
    """The row `pk` of a reference (a department, project …), or a 400 on `field`."""
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("不存在。")})
    return found


def under_organization(queryset, value: str):
    """The rows of the organization `value` (an id from the query string) and of every organization under it;
    none for an id that names no organization."""
    found = Organization.objects.filter(pk=int(value) if value.isdigit() else 0).first()
    return queryset.filter(organization__path__startswith=found.path) if found else queryset.none()


# --- organizations ---------------------------------------------------------------------------------------------


class PartyOfficerSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = Officer
        fields = ["id", "user", "name", "title", "since"]
        read_only_fields = fields

    def get_name(self, post) -> str:
        return post.user.display_name or post.user.username


class PartyOrganizationSerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField()
    children = serializers.IntegerField(source="numchild", read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "kind",
            "sector",
            "department",
            "enterprise",
            "parent",
            "depth",
            "children",
            "member_count",
            "established_on",
            "dissolved_on",
            "merged_into",
        ]
        read_only_fields = fields

    def get_parent(self, organization) -> int | None:
        return self.context.get("parents", {}).get(organization.path[: -organization.steplen])


class PartyOrganizationDetailSerializer(PartyOrganizationSerializer):
    members_with_subtree = serializers.SerializerMethodField()
    officers = serializers.SerializerMethodField()

    class Meta(PartyOrganizationSerializer.Meta):
        fields = [*PartyOrganizationSerializer.Meta.fields, "members_with_subtree", "officers"]
        read_only_fields = fields

    def get_members_with_subtree(self, organization) -> int:
        return selectors.member_count(organization)

    def get_officers(self, organization) -> list[dict]:
        return PartyOfficerSerializer(selectors.posts_of(organization), many=True).data


class PartyFoundSerializer(serializers.Serializer):
    parent = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=Organization.Kind.choices)
    sector = serializers.ChoiceField(choices=Organization.Sector.choices)
    department = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    enterprise = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    established_on = serializers.DateField(required=False, allow_null=True)


class PartyRenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)


class PartyMoveSerializer(serializers.Serializer):
    parent = serializers.IntegerField(min_value=1)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class PartyMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class PartyAppointSerializer(serializers.Serializer):
    user = serializers.IntegerField(min_value=1)
    title = serializers.ChoiceField(choices=Officer.Title.choices)


class PartyOutcomesSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    projects = serializers.IntegerField()
    projects_red = serializers.IntegerField()
    projects_yellow = serializers.IntegerField()
    problems = serializers.IntegerField()
    problems_closed = serializers.IntegerField()
    problems_on_time = serializers.IntegerField()
    problems_overdue = serializers.IntegerField()
    applications = serializers.IntegerField()
    applications_on_time = serializers.IntegerField()
    tasks = serializers.IntegerField()
    tasks_on_time = serializers.IntegerField()
    problems_on_time_rate = serializers.FloatField(allow_null=True)
    applications_on_time_rate = serializers.FloatField(allow_null=True)
    applications_average_working_days = serializers.FloatField(allow_null=True)
    rating = serializers.FloatField(allow_null=True)
    ratings = serializers.IntegerField()


class PartyOutcomeRowSerializer(serializers.Serializer):
    """One record behind a figure: a project, problem, application or review task."""

    kind = serializers.CharField()
    id = serializers.IntegerField()
    label = serializers.CharField()
    state = serializers.CharField()


class PartyOutcomeRowsSerializer(serializers.Serializer):
    """A page of the records behind a figure (a cursor page, newest first)."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PartyOutcomeRowSerializer(many=True)


def _row(kind: str, row) -> dict:
    if kind == "project":
        return {"kind": kind, "id": row.pk, "label": row.name, "state": row.warning_level}
    if kind == "problem":
        return {"kind": kind, "id": row.pk, "label": f"{row.number} {row.title}", "state": row.status}
    if kind == "application":
        return {"kind": kind, "id": row.pk, "label": row.number, "state": row.status}
    return {"kind": kind, "id": row.pk, "label": row.application.number, "state": row.status}


class NewestFirst(CursorPage):
    """The records behind a figure are of another model than the viewset's: their own order, newest first."""

    def get_ordering(self, request, queryset, view):
        return ("-pk",)


class OutcomesMixin:
    """`outcomes/` and `outcomes/{key}/` of a subject whose reach `reach_of(obj)` gives."""

    def reach_of(self, obj):  # pragma: no cover - each viewset says
        raise NotImplementedError

    @extend_schema(parameters=[YEAR], responses=PartyOutcomesSerializer)
    @action(detail=True, methods=["get"])
    def outcomes(self, request, pk=None):
        """The figures of the year, from the platform's records."""
        return Response(outcomes.outcomes(self.reach_of(self.get_object()), _year(request)).as_dict())

    @extend_schema(parameters=[YEAR], responses=PartyOutcomeRowsSerializer)
    @action(detail=True, methods=["get"], url_path=r"outcomes/(?P<key>[a-z_]{1,30})")
    def outcome_rows(self, request, pk=None, key=None):
        """The records one figure counts (its drill-down): civil servants and party officers."""
        from django.core.exceptions import PermissionDenied

        from .team_views import reads_records

        subject = self.get_object()
        if not reads_records(request.user):
            raise PermissionDenied(_("成效明细供机关工作人员和党务工作人员查看。"))
        figure = outcomes.FIGURE_KEYS.get(key)
        if figure is None:
            raise Http404(_("没有这项成效。"))
        rows = outcomes.rows(self.reach_of(subject), key, _year(request))
        if figure.kind == "task":
            rows = rows.select_related("application")
        paginator = NewestFirst()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([_row(figure.kind, row) for row in page])


@extend_schema_view(outcome_rows=extend_schema(operation_id="party_organizations_outcome_rows"))
class OrganizationViewSet(OutcomesMixin, ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The tree: filter `parent` (children of an organization; `0` for the roots), `kind`, `q` (name)."""

    model = Organization
    serializer_class = PartyOrganizationSerializer
    ordering = ["path"]
    ordering_fields = ["path", "id"]
    filterset_fields = ["kind", "sector"]

    def reach_of(self, obj):
        return outcomes.reach_of_organization(obj)

    def get_serializer_class(self):
        return PartyOrganizationDetailSerializer if self.action == "retrieve" else PartyOrganizationSerializer

    def scope(self, queryset):
        params = self.request.query_params
        if self.action == "list":
            parent = params.get("parent")
            if parent is not None:
                if parent == "0":
                    queryset = queryset.filter(depth=1)
                else:
                    found = Organization.objects.filter(pk=int(parent) if parent.isdigit() else 0).first()
                    if found is None:
                        return queryset.none()
                    queryset = queryset.filter(path__startswith=found.path, depth=found.depth + 1)
            if params.get("q"):
                queryset = queryset.filter(name__contains=params["q"][:50].replace("\x00", ""))
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["parents"] = _ParentIds()
        return context

    def _answer(self, organization, code=status.HTTP_200_OK):
        found = self.get_queryset().model.objects.get(pk=organization.pk)
        return Response(
            PartyOrganizationDetailSerializer(found, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(request=PartyFoundSerializer, responses={201: PartyOrganizationDetailSerializer})
    @idempotent
    def create(self, request):
        """Found an organization under `parent` (a root only by an administrator)."""
        given = _given(PartyFoundSerializer, request)
        parent_pk = given.pop("parent", None)
        parent = self.get_queryset().filter(pk=parent_pk).first() if parent_pk else None
        if parent_pk and parent is None:
            raise ValidationError({"parent": _("党组织不存在。")})
        made = tree.found(
            request.user,
            parent,
            name=given["name"],
            kind=given["kind"],
            sector=given["sector"],
            department=_one(Department, given.get("department"), "department"),
            enterprise=_one(Enterprise, given.get("enterprise"), "enterprise"),
            established_on=given.get("established_on"),
        )
        return self._answer(made, status.HTTP_201_CREATED)

    def _other(self, pk, field):
        found = self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise ValidationError({field: _("党组织不存在。")})
        return found

    @extend_schema(request=PartyRenameSerializer, responses=PartyOrganizationDetailSerializer)
    @action(detail=True, methods=["post"])
    def rename(self, request, pk=None):
        return self._answer(
            tree.rename(request.user, self.get_object(), _given(PartyRenameSerializer, request)["name"])
        )

    @extend_schema(request=PartyMoveSerializer, responses=PartyOrganizationDetailSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Put the organization (with its subtree) under `parent`; a loop is a 400."""
        given = _given(PartyMoveSerializer, request)
        organization = self.get_object()
        parent = self._other(given["parent"], "parent")
        return self._answer(tree.move(request.user, organization, parent, note=given.get("note", "")))

    @extend_schema(request=PartyMergeSerializer, responses=PartyOrganizationDetailSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge into `into`: members transferred, sub-organizations moved, this one dissolved."""
        given = _given(PartyMergeSerializer, request)
        organization = self.get_object()
        into = self._other(given["into"], "into")
        return self._answer(tree.merge(request.user, organization, into, note=given.get("note", "")))

    @extend_schema(request=None, responses=PartyOrganizationDetailSerializer)
    @action(detail=True, methods=["post"])
    def dissolve(self, request, pk=None):
        return self._answer(tree.dissolve(request.user, self.get_object()))

    @extend_schema(request=PartyAppointSerializer, responses=PartyOrganizationDetailSerializer)
    @action(detail=True, methods=["post"])
    def appoint(self, request, pk=None):
        given = _given(PartyAppointSerializer, request)
        organization = self.get_object()
        person = User.objects.filter(pk=given["user"], is_active=True).first()
        if person is None:
            raise ValidationError({"user": _("请选择在用的平台账号。")})
        tree.appoint(request.user, organization, person, given["title"])
        return self._answer(organization)


class _ParentIds(dict):
    """Parent ids by path, looked up once per path the page needs."""

    def get(self, path, default=None):
        if not path:
            return None
        if path not in self:
            self[path] = Organization.objects.filter(path=path).values_list("pk", flat=True).first()
        return self[path]


# --- members ----------------------------------------------------------------------------------------------------


class PartyMemberSerializer(serializers.ModelSerializer):
    id_number = serializers.CharField(
        source="masked_id", read_only=True, help_text="Masked: see reveal-id-number/"
    )

    class Meta:
        model = PartyMember
        fields = [
            "id",
            "name",
            "id_number",
            "gender",
            "birth_date",
            "phone",
            "organization",
            "user",
            "status",
            "joined_on",
            "full_on",
            "duties",
            "workplace",
            "left_on",
            "left_to",
        ]
        read_only_fields = fields


class PartyRegisterSerializer(serializers.Serializer):
    organization = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=18)
    status = serializers.ChoiceField(choices=PartyMember.Status.choices, default=PartyMember.Status.FULL)
    joined_on = serializers.DateField()
    full_on = serializers.DateField(required=False, allow_null=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    duties = serializers.CharField(max_length=100, required=False, allow_blank=True)
    workplace = serializers.CharField(max_length=200, required=False, allow_blank=True)
    user = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class PartyTransferSerializer(serializers.Serializer):
    to = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    outside = serializers.CharField(max_length=200, required=False, allow_blank=True)
    on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class PartyRevealedSerializer(serializers.Serializer):
    id_number = serializers.CharField()


class PartyMemberViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Members in the caller's scope; filter `organization` (with its subtree), `status`, `q` (name)."""

    model = PartyMember
    serializer_class = PartyMemberSerializer
    ordering = ["organization", "name", "id"]
    ordering_fields = ["name", "joined_on", "id"]
    filterset_fields = ["status"]

    def scope(self, queryset):
        params = self.request.query_params
        if self.action == "list":
            queryset = queryset.current()
            if params.get("organization"):
                queryset = under_organization(queryset, params["organization"])
            if params.get("q"):
                queryset = queryset.filter(name__contains=params["q"][:50].replace("\x00", ""))
        return queryset

    def _answer(self, member, code=status.HTTP_200_OK):
        return Response(PartyMemberSerializer(PartyMember.objects.get(pk=member.pk)).data, status=code)

    @extend_schema(request=PartyRegisterSerializer, responses={201: PartyMemberSerializer})
    @idempotent
    def create(self, request):
        """Register a member of a branch; the ID number is checked (check digit, birth date, region)."""
        given = _given(PartyRegisterSerializer, request)
        organization = (
            Organization.objects.for_user(request.user).filter(pk=given.pop("organization")).first()
        )
        if organization is None:
            raise ValidationError({"organization": _("党组织不存在。")})
        person = _one(User, given.pop("user", None), "user")
        made = member_services.register(request.user, organization, person=person, **given)
        return self._answer(made, status.HTTP_201_CREATED)

    @extend_schema(request=PartyTransferSerializer, responses=PartyMemberSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """Move the member to `to` (a branch of the zone) or out of the zone (`outside`)."""
        given = _given(PartyTransferSerializer, request)
        member = self.get_object()
        to = given.get("to")
        to = Organization.objects.filter(pk=to).first() if to else None
        if given.get("to") and to is None:
            raise ValidationError({"to": _("党组织不存在。")})
        member_services.transfer(
            request.user,
            member,
            to=to,
            outside=given.get("outside", ""),
            on=given.get("on"),
            reason=given.get("reason", ""),
        )
        return self._answer(member)

    @extend_schema(request=None, responses=PartyMemberSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-full")
    def confirm_full(self, request, pk=None):
        return self._answer(member_services.confirm_full(request.user, self.get_object()))

    @extend_schema(request=None, responses=PartyRevealedSerializer)
    @action(detail=True, methods=["post"], url_path="reveal-id-number")
    def reveal_id_number(self, request, pk=None):
        """The full ID number (a POST: each reveal is audited)."""
        return Response({"id_number": member_services.reveal_id_number(request.user, self.get_object())})


# --- teams ------------------------------------------------------------------------------------------------------


class PartyTeamLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamLink
        fields = ["id", "kind", "project", "enterprise", "category", "area", "bundle"]
        read_only_fields = fields


class PartyTeamMemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="member.name", read_only=True)
    organization = serializers.IntegerField(source="member.organization_id", read_only=True)

    class Meta:
        model = TeamMember
        fields = ["id", "member", "name", "organization", "role", "since"]
        read_only_fields = fields


class PartyPioneerTeamSerializer(serializers.ModelSerializer):
    links = PartyTeamLinkSerializer(many=True, read_only=True)
    members = PartyTeamMemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = PioneerTeam
        fields = ["id", "name", "mission", "organization", "formed_on", "dissolved_on", "links", "members"]
        read_only_fields = fields


class PartyTeamInputSerializer(serializers.Serializer):
    organization = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=120)
    mission = serializers.CharField(max_length=5000)
    formed_on = serializers.DateField(required=False, allow_null=True)


class PartyLinkInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TeamLink.Kind.choices)
    target = serializers.IntegerField(
        min_value=1, required=False, help_text="The project, enterprise, category or bundle id"
    )
    area = serializers.CharField(max_length=40, required=False, help_text="The area code, for kind `area`")


class PartyLinkIdSerializer(serializers.Serializer):
    link = serializers.IntegerField(min_value=1)


class PartyEnlistSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1)
    role = serializers.ChoiceField(choices=TeamMember.Role.choices, default=TeamMember.Role.MEMBER)


class PartyMembershipIdSerializer(serializers.Serializer):
    membership = serializers.IntegerField(min_value=1)


LINK_MODELS = {"project": Project, "enterprise": Enterprise, "category": ProblemCategory, "bundle": Bundle}


@extend_schema_view(outcome_rows=extend_schema(operation_id="party_teams_outcome_rows"))
class PioneerTeamViewSet(OutcomesMixin, ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Pioneer teams, newest first; filter `organization` (led by it or by one under it)."""

    model = PioneerTeam
    serializer_class = PartyPioneerTeamSerializer
    ordering = ["-formed_on", "-id"]
    ordering_fields = ["formed_on", "id"]

    def reach_of(self, obj):
        return outcomes.reach_of_team(obj)

    def scope(self, queryset):
        organization = self.request.query_params.get("organization", "")
        if self.action == "list" and organization:
            queryset = under_organization(queryset, organization)
        return queryset.prefetch_related("links", "memberships__member")

    def _answer(self, team, code=status.HTTP_200_OK):
        return Response(PartyPioneerTeamSerializer(self.get_queryset().get(pk=team.pk)).data, status=code)

    @extend_schema(request=PartyTeamInputSerializer, responses={201: PartyPioneerTeamSerializer})
    @idempotent
    def create(self, request):
        given = _given(PartyTeamInputSerializer, request)
        organization = (
            Organization.objects.for_user(request.user).filter(pk=given.pop("organization")).first()
        )
        if organization is None:
            raise ValidationError({"organization": _("党组织不存在。")})
        return self._answer(
            team_services.form_team(request.user, organization, **given), status.HTTP_201_CREATED
        )

    @extend_schema(request=PartyLinkInputSerializer, responses=PartyPioneerTeamSerializer)
    @action(detail=True, methods=["post"])
    def links(self, request, pk=None):
        """Tie the team to a record: `target` (an id) for a project, enterprise, category or bundle; `area`."""
        given = _given(PartyLinkInputSerializer, request)
        team = self.get_object()
        kind = given["kind"]
        if kind == TeamLink.Kind.AREA:
            target = given.get("area", "")
        else:
            target = _one(LINK_MODELS[kind], given.get("target"), "target")
        team_services.link(request.user, team, kind, target)
        return self._answer(team)

    @extend_schema(request=PartyLinkIdSerializer, responses=PartyPioneerTeamSerializer)
    @action(detail=True, methods=["post"], url_path="links/remove")
    def remove_link(self, request, pk=None):
        team = self.get_object()
        row = TeamLink.objects.filter(team=team, pk=_given(PartyLinkIdSerializer, request)["link"]).first()
        if row is None:
            raise ValidationError({"link": _("没有这个联系对象。")})
        team_services.unlink(request.user, row)
        return self._answer(team)

    @extend_schema(request=PartyEnlistSerializer, responses=PartyPioneerTeamSerializer)
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        """Enlist a member the caller may read."""
        given = _given(PartyEnlistSerializer, request)
        team = self.get_object()
        require_keeper(request.user, team.organization)  # who may, before which member
        member = PartyMember.objects.for_user(request.user).filter(pk=given["member"]).first()
        if member is None:
            raise ValidationError({"member": _("党员不存在,或不在您管理的组织中。")})
        team_services.enlist(request.user, team, member, given["role"])
        return self._answer(team)

    @extend_schema(request=PartyMembershipIdSerializer, responses=PartyPioneerTeamSerializer)
    @action(detail=True, methods=["post"], url_path="members/remove")
    def remove_member(self, request, pk=None):
        team = self.get_object()
        row = TeamMember.objects.filter(
            team=team, pk=_given(PartyMembershipIdSerializer, request)["membership"]
        ).first()
        if row is None:
            raise ValidationError({"membership": _("没有这名队员。")})
        team_services.dismiss(request.user, row)
        return self._answer(team)


# --- alliances --------------------------------------------------------------------------------------------------


class PartyAllianceMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = AllianceMember
        fields = ["organization", "side", "since"]
        read_only_fields = fields


class PartyAllianceSerializer(serializers.ModelSerializer):
    organizations = PartyAllianceMemberSerializer(source="memberships", many=True, read_only=True)
    instructors = serializers.SerializerMethodField(
        help_text="The project's escort-team instructors (user ids)"
    )

    class Meta:
        model = Alliance
        fields = [
            "id",
            "name",
            "project",
            "lead",
            "charter",
            "formed_on",
            "dissolved_on",
            "organizations",
            "instructors",
        ]
        read_only_fields = fields

    def get_instructors(self, alliance) -> list[int]:
        from sciencecity.projects.models import EscortMember

        rows = EscortMember.objects.filter(project_id=alliance.project_id, role=EscortMember.Role.INSTRUCTOR)
        return list(rows.values_list("user_id", flat=True))


class PartyAllianceInputSerializer(serializers.Serializer):
    lead = serializers.IntegerField(min_value=1)
    project = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=120)
    charter = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    formed_on = serializers.DateField(required=False, allow_null=True)


class PartyJoinInputSerializer(serializers.Serializer):
    organization = serializers.IntegerField(min_value=1)
    side = serializers.ChoiceField(choices=AllianceMember.Side.choices)


@extend_schema_view(outcome_rows=extend_schema(operation_id="party_alliances_outcome_rows"))
class AllianceViewSet(OutcomesMixin, ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Project party-building alliances; filter `project`."""

    model = Alliance
    serializer_class = PartyAllianceSerializer
    ordering = ["-formed_on", "-id"]
    ordering_fields = ["formed_on", "id"]
    filterset_fields = ["project"]

    def reach_of(self, obj):
        return outcomes.Reach(projects={obj.project_id})

    def scope(self, queryset):
        return queryset.prefetch_related("memberships")

    def _answer(self, alliance, code=status.HTTP_200_OK):
        return Response(PartyAllianceSerializer(self.get_queryset().get(pk=alliance.pk)).data, status=code)

    @extend_schema(request=PartyAllianceInputSerializer, responses={201: PartyAllianceSerializer})
    @idempotent
    def create(self, request):
        given = _given(PartyAllianceInputSerializer, request)
        lead = Organization.objects.for_user(request.user).filter(pk=given.pop("lead")).first()
        if lead is None:
            raise ValidationError({"lead": _("党组织不存在。")})
        project = Project.objects.for_user(request.user).filter(pk=given.pop("project")).first()
        if project is None:
            raise ValidationError({"project": _("项目不存在。")})
        made = team_services.form_alliance(request.user, project, lead, **given)
        return self._answer(made, status.HTTP_201_CREATED)

    @extend_schema(request=PartyJoinInputSerializer, responses=PartyAllianceSerializer)
    @action(detail=True, methods=["post"])
    def organizations(self, request, pk=None):
        """Add a member organization (the government's, the owner enterprise's, a builder's)."""
        given = _given(PartyJoinInputSerializer, request)
        alliance = self.get_object()
        organization = Organization.objects.filter(pk=given["organization"]).first()
        if organization is None:
            raise ValidationError({"organization": _("党组织不存在。")})
        team_services.join_alliance(request.user, alliance, organization, given["side"])
        return self._answer(alliance)


# --- activities -------------------------------------------------------------------------------------------------


class PartyActivitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Activity
        fields = [
            "id",
            "organization",
            "alliance",
            "project",
            "kind",
            "title",
            "held_on",
            "place",
            "online",
            "hours",
            "notes",
            "attendance_count",
            "recorded_at",
        ]
        read_only_fields = fields


class PartyAttendanceInputSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1)
    status = serializers.ChoiceField(choices=Attendance.Status.choices)


class PartyActivityInputSerializer(serializers.Serializer):
    organization = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    title = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    online = serializers.BooleanField(required=False, default=False)
    hours = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, min_value=0, max_value=24
    )
    notes = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    alliance = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    attendance = PartyAttendanceInputSerializer(many=True, required=False, max_length=5000)


class ActivityViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Activities, newest first; filter `organization` (with its subtree), `kind`, `alliance`."""

    model = Activity
    serializer_class = PartyActivitySerializer
    ordering = ["-held_on", "-id"]
    ordering_fields = ["held_on", "id"]
    filterset_fields = ["kind", "alliance"]

    def scope(self, queryset):
        organization = self.request.query_params.get("organization", "")
        if self.action == "list" and organization:
            queryset = under_organization(queryset, organization)
        return queryset

    @extend_schema(request=PartyActivityInputSerializer, responses={201: PartyActivitySerializer})
    @idempotent
    def create(self, request):
        """Record an activity held, with attendance (members of the organization, or of the alliance)."""
        given = _given(PartyActivityInputSerializer, request)
        organization = (
            Organization.objects.for_user(request.user).filter(pk=given.pop("organization")).first()
        )
        if organization is None:
            raise ValidationError({"organization": _("党组织不存在。")})
        alliance = _one(Alliance, given.pop("alliance", None), "alliance")
        attendance = {row["member"]: row["status"] for row in given.pop("attendance", [])}
        made = activity_services.record_activity(
            request.user, organization, alliance=alliance, attendance=attendance, **given
        )
        return Response(PartyActivitySerializer(made).data, status=status.HTTP_201_CREATED)


# --- evaluations --------------------------------------------------------------------------------------------


class PartyIndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "name", "source", "cap", "per_item", "activity_kind", "outcome", "order"]
        read_only_fields = fields


class PartySchemeSerializer(serializers.ModelSerializer):
    indicators = PartyIndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = EvaluationScheme
        fields = [
            "id",
            "name",
            "kind",
            "year",
            "owner",
            "subject_kinds",
            "base_points",
            "thresholds",
            "quota_percent",
            "indicators",
        ]
        read_only_fields = fields


class PartyIndicatorInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    source = serializers.ChoiceField(choices=Indicator.Source.choices)
    cap = serializers.DecimalField(
        max_digits=6, decimal_places=1, min_value=0, max_value=1000, required=False, default=0
    )
    per_item = serializers.DecimalField(
        max_digits=5, decimal_places=1, min_value=0, max_value=1000, required=False, allow_null=True
    )
    activity_kind = serializers.ChoiceField(choices=Activity.Kind.choices, required=False)
    outcome = serializers.ChoiceField(choices=list(evaluation_services.OUTCOME_RATES), required=False)


class PartySchemeInputSerializer(serializers.Serializer):
    owner = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=EvaluationScheme.Kind.choices)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    subject_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=Organization.Kind.choices), required=False, max_length=6
    )
    base_points = serializers.DecimalField(
        max_digits=6, decimal_places=1, min_value=0, max_value=1000, default=0
    )
    thresholds = serializers.ListField(
        child=serializers.ListField(
            child=serializers.DecimalField(max_digits=6, decimal_places=1, min_value=0, max_value=1000),
            min_length=2,
            max_length=2,
        ),
        required=False,
        max_length=5,
        help_text="[[stars, minimum total], …]",
    )
    quota_percent = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)
    indicators = PartyIndicatorInputSerializer(many=True, allow_empty=False, max_length=50)


class PartySchemeViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Evaluation schemes, newest year first; filter `year`, `kind`."""

    model = EvaluationScheme
    serializer_class = PartySchemeSerializer
    ordering = ["-year", "-id"]
    ordering_fields = ["year", "id"]
    filterset_fields = ["year", "kind"]

    def scope(self, queryset):
        return queryset.prefetch_related("indicators")

    def _answer(self, scheme, code=status.HTTP_200_OK):
        return Response(PartySchemeSerializer(self.get_queryset().get(pk=scheme.pk)).data, status=code)

    @extend_schema(request=PartySchemeInputSerializer, responses={201: PartySchemeSerializer})
    @idempotent
    def create(self, request):
        """A scheme with its indicators (errors per row: `indicators.N`), by the keepers of its owner."""
        given = _given(PartySchemeInputSerializer, request)
        owner = Organization.objects.for_user(request.user).filter(pk=given.pop("owner")).first()
        if owner is None:
            raise ValidationError({"owner": _("党组织不存在。")})
        given["thresholds"] = [[int(stars), minimum] for stars, minimum in given.get("thresholds", [])]
        made = evaluation_services.define_scheme(request.user, owner, **given)
        return self._answer(made, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PartySchemeSerializer)
    @action(detail=True, methods=["post"], url_path="open")
    def open_evaluations(self, request, pk=None):
        """One evaluation per subject (the subjects that have none yet)."""
        scheme = self.get_object()
        evaluation_services.open_scheme(request.user, scheme)
        return self._answer(scheme)

    @extend_schema(request=None, responses=PartySchemeSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish the reviewed results (refused as a whole over the quota of top ratings)."""
        scheme = self.get_object()
        evaluation_services.publish(request.user, scheme)
        return self._answer(scheme)


class PartyScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Score
        fields = ["indicator", "claimed", "granted", "computed", "basis", "evidence", "vetoed"]
        read_only_fields = fields


class PartyEvaluationSerializer(serializers.ModelSerializer):
    scores = PartyScoreSerializer(many=True, read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "scheme",
            "organization",
            "member",
            "status",
            "total",
            "stars",
            "vetoed",
            "self_note",
            "review_note",
            "submitted_at",
            "reviewed_at",
            "published_at",
            "scores",
        ]
        read_only_fields = fields


class PartySubmitSerializer(serializers.Serializer):
    claimed = serializers.DictField(
        child=serializers.DecimalField(max_digits=6, decimal_places=1, min_value=0, max_value=1000),
        help_text="{indicator id: points} for each manual indicator",
    )
    evidence = serializers.DictField(
        child=serializers.CharField(max_length=2000, allow_blank=True), required=False
    )
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class PartyReviewSerializer(serializers.Serializer):
    granted = serializers.DictField(
        child=serializers.DecimalField(max_digits=6, decimal_places=1, min_value=0, max_value=1000)
    )
    vetoes = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=50)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class PartyReturnSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000)


def _indicator_keys(values: dict, field: str) -> dict:
    """{indicator id: value} from a JSON object, whose keys are strings: a key that is no id is a 400."""
    clean = {}
    for key, value in values.items():
        if not str(key).isdigit():
            raise ValidationError({field: _("指标编号应为数字。")})
        clean[int(key)] = value
    return clean


class PartyEvaluationViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Evaluations in the caller's scope; filter `scheme`, `status`."""

    model = Evaluation
    serializer_class = PartyEvaluationSerializer
    ordering = ["-total", "id"]
    ordering_fields = ["total", "id"]
    filterset_fields = ["scheme", "status"]

    def scope(self, queryset):
        return queryset.select_related("scheme", "organization", "member__organization").prefetch_related(
            "scores"
        )

    def _answer(self, evaluation):
        return Response(PartyEvaluationSerializer(self.get_queryset().get(pk=evaluation.pk)).data)

    @extend_schema(request=PartySubmitSerializer, responses=PartyEvaluationSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Self-assessment: points claimed for each manual indicator (within its cap), with evidence."""
        given = _given(PartySubmitSerializer, request)
        evaluation = self.get_object()
        evaluation_services.require_self(request.user, evaluation)
        evaluation_services.submit(
            request.user,
            evaluation,
            claimed=_indicator_keys(given["claimed"], "claimed"),
            evidence={str(key): value for key, value in given.get("evidence", {}).items()},
            note=given.get("note", ""),
        )
        return self._answer(evaluation)

    @extend_schema(request=PartyReviewSerializer, responses=PartyEvaluationSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The review from above: points granted (within caps) and the vetoes that apply."""
        given = _given(PartyReviewSerializer, request)
        evaluation = self.get_object()
        evaluation_services.require_reviewer(request.user, evaluation)
        evaluation_services.review(
            request.user,
            evaluation,
            granted=_indicator_keys(given["granted"], "granted"),
            vetoes=given.get("vetoes", []),
            note=given.get("note", ""),
        )
        return self._answer(evaluation)

    @extend_schema(request=PartyReturnSerializer, responses=PartyEvaluationSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def send_back(self, request, pk=None):
        evaluation = self.get_object()
        evaluation_services.send_back(
            request.user, evaluation, note=_given(PartyReturnSerializer, request)["note"]
        )
        return self._answer(evaluation)


routes = [
    ("party-organizations", OrganizationViewSet, "party-organization"),
    ("party-members", PartyMemberViewSet, "party-member"),
    ("party-teams", PioneerTeamViewSet, "party-team"),
    ("party-alliances", AllianceViewSet, "party-alliance"),
    ("party-activities", ActivityViewSet, "party-activity"),
    ("party-schemes", PartySchemeViewSet, "party-scheme"),
    ("party-evaluations", PartyEvaluationViewSet, "party-evaluation"),
]
