"""Party building (红岩先锋): the organization tree, members, pioneer teams, alliances and activities.

The tree (党工委 → 党委 / 机关党委 → 党总支 → 党支部 → 党小组) is a materialized path kept by django-treebeard:
an organization's subtree is one indexed range of `path`, so "everything under this committee" — the scope of
its officers, its members counted with its subtree — is a prefix query, not a recursion. Moves, mergers,
renames and dissolutions are written by `services.organizations` and kept in `OrganizationEvent`.

Members' personal data is the strictest scope of the platform (`PartyMemberQuerySet.for_user`): only the party
officers (`Officer`) of the member's own organization and of those above it read a member's record; the member
reads their own. The ID number is validated (check digit, date of birth) and shown masked; the full number is
revealed to an officer on request, and each reveal is audited.

Pioneer teams and alliances are tied to the platform's own records (projects, enterprises, problem categories
and areas, approval bundles), from which `outcomes` computes what they achieved.
"""

import operator
from functools import reduce

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from sciencecity.accounts.scoping import ScopedQuerySet, is_civil_servant
from sciencecity.workdays import clock

from . import identity


def officer_paths(user) -> tuple[str, ...]:
    """The tree paths of the organizations where `user` holds a post now, kept on the user for the request: an
    officer's scope is the union of these subtrees."""
    if user is None or not user.is_authenticated:
        return ()
    cached = getattr(user, "_party_officer_paths", None)
    if cached is None:
        cached = tuple(
            Officer.objects.filter(user=user, until__isnull=True).values_list("organization__path", flat=True)
        )
        user._party_officer_paths = cached
    return cached


def under(paths, field: str = "path") -> Q:
    """Rows whose `field` lies in one of the subtrees rooted at `paths` (no row when `paths` is empty)."""
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__startswith": path})
    return condition


def reads_party(user) -> bool:
    """Civil servants and the zone's party members read the tree, the teams, the alliances and the outcomes."""
    if user is None or not user.is_authenticated:
        return False
    cached = getattr(user, "_reads_party", None)
    if cached is None:  # kept for the request: the pages and the scopes ask several times
        cached = is_civil_servant(user) or _holds_post_or_membership(user)
        user._reads_party = cached
    return cached


def _holds_post_or_membership(user) -> bool:
    """Whether the user holds a party post or is a member. Every page's menu asks this of every user who is
    not a civil servant (the party entry): the posts' paths (kept for `officer_paths`) and the membership are
    read in one statement, not two."""
    if getattr(user, "_party_officer_paths", None) is not None:
        return bool(user._party_officer_paths) or PartyMember.objects.filter(user=user).exists()
    flag = models.BooleanField()
    rows = (
        Officer.objects.filter(user=user, until__isnull=True)
        .order_by()
        .values_list("organization__path", models.Value(False, output_field=flag))
        .union(
            PartyMember.objects.filter(user=user)
            .order_by()
            .values_list(
                models.Value("", output_field=models.CharField()), models.Value(True, output_field=flag)
            ),
            all=True,
        )
    )
    paths, member = [], False
    for path, is_member in rows:
        if is_member:
            member = True
        else:
            paths.append(path)
    user._party_officer_paths = tuple(sorted(paths))
    return bool(paths) or member


class OrganizationQuerySet(MP_NodeQuerySet, ScopedQuerySet):
    def for_user(self, user):
        return self.all() if reads_party(user) else self.none()

    def active(self):
        return self.filter(dissolved_on__isnull=True)


class OrganizationManager(MP_NodeManager):
    def get_queryset(self):
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")

    def for_user(self, user):
        return self.get_queryset().for_user(user)

    def active(self):
        return self.get_queryset().active()


class Organization(MP_Node):
    class Kind(models.TextChoices):
        WORKING_COMMITTEE = "working_committee", _("党工委")
        COMMITTEE = "committee", _("党委")
        ORGAN_COMMITTEE = "organ_committee", _("机关党委")
        GENERAL_BRANCH = "general_branch", _("党总支")
        BRANCH = "branch", _("党支部")
        GROUP = "group", _("党小组")

    class Sector(models.TextChoices):
        ORGAN = "organ", _("党政机关")
        INSTITUTION = "institution", _("事业单位")
        ENTERPRISE = "enterprise", _("企业")
        BUILDER = "builder", _("建设施工单位")
        COMMUNITY = "community", _("村(社区)")

    name = models.CharField(_("组织名称"), max_length=120)
    kind = models.CharField(_("组织类别"), max_length=20, choices=Kind.choices)
    sector = models.CharField(_("所在单位类型"), max_length=20, choices=Sector.choices)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("所在机关部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_organizations",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("所在企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_organizations",
    )
    established_on = models.DateField(_("成立日期"), default=clock.today)
    dissolved_on = models.DateField(_("撤销日期"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    # Kept by the members' write paths under this row's lock: the members directly in this organization. A
    # subtree's count is the sum over the subtree's rows (`selectors.member_count`), at most the tree's size.
    member_count = models.PositiveIntegerField(_("直属党员数"), default=0)

    objects = OrganizationManager()

    node_order_by = []

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = pgettext_lazy("plural", "党组织")
        ordering = ["path"]
        permissions = [("keep_party", _("管理本组织及下级的党组织、党员和党建工作"))]
        indexes = [
            # `path LIKE 'prefix%'` for subtrees: PostgreSQL needs the pattern operator class outside the C locale.
            models.Index(fields=["path"], name="party_org_subtree_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["department"], name="party_org_department_idx"),
            models.Index(fields=["enterprise"], name="party_org_enterprise_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.dissolved_on is None

    def ancestor_paths(self) -> list[str]:
        """The paths of this organization and each organization above it, nearest last."""
        return [self.path[:end] for end in range(self.steplen, len(self.path) + 1, self.steplen)]


class OrganizationEvent(models.Model):
    """The tree's history: when an organization was founded, renamed, moved, merged or dissolved."""

    class Kind(models.TextChoices):
        FOUNDED = "founded", _("成立")
        RENAMED = "renamed", _("更名")
        MOVED = "moved", _("调整隶属关系")
        MERGED = "merged", _("合并")
        DISSOLVED = "dissolved", _("撤销")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("变动"), max_length=20, choices=Kind.choices)
    on = models.DateField(_("日期"), default=clock.today)
    before = models.CharField(_("变动前"), max_length=300, blank=True)
    after = models.CharField(_("变动后"), max_length=300, blank=True)
    other = models.ForeignKey(
        Organization,
        verbose_name=_("相关组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=clock.now)

    class Meta:
        verbose_name = _("组织沿革")
        verbose_name_plural = pgettext_lazy("plural", "组织沿革")
        ordering = ["organization", "on", "id"]

    def __str__(self):
        return f"{self.organization_id} {self.kind} {self.on}"


class Officer(models.Model):
    """A post in an organization's committee (支部书记, 组织委员 …). Its holder keeps the organization and everything
    under it: the subtree's organizations, members, teams and activities."""

    class Title(models.TextChoices):
        SECRETARY = "secretary", _("书记")
        DEPUTY = "deputy", _("副书记")
        ORGANIZATION = "organization", _("组织委员")
        PROPAGANDA = "propaganda", _("宣传委员")
        DISCIPLINE = "discipline", _("纪检委员")
        WORKER = "worker", _("党务工作者")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="party_posts"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="officers"
    )
    title = models.CharField(_("职务"), max_length=20, choices=Title.choices)
    since = models.DateField(_("任职日期"), default=clock.today)
    until = models.DateField(_("离任日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("党务职务")
        verbose_name_plural = pgettext_lazy("plural", "党务职务")
        ordering = ["organization", "title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], condition=Q(until__isnull=True), name="party_officer_once"
            )
        ]
        indexes = [models.Index(fields=["user", "until"], name="party_officer_user_idx")]

    def __str__(self):
        return f"{self.organization} {self.get_title_display()}"


class PartyMemberQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """The strictest scope of the platform: the officers of the member's organization or of one above it,
        and the member themself. Leaders, supervisors and administrators are not in it by their role."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(under(officer_paths(user), "organization__path") | Q(user=user))

    def current(self):
        return self.filter(left_on__isnull=True)


class PartyMember(models.Model):
    class Status(models.TextChoices):
        PROBATIONARY = "probationary", _("预备党员")
        FULL = "full", _("正式党员")

    class Gender(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    name = models.CharField(_("姓名"), max_length=50)
    # Personal data: validated, unique, never listed unmasked (`masked_id`), revealed to officers with an audit.
    id_number = models.CharField(
        _("公民身份号码"), max_length=18, unique=True, validators=[identity.validate_id_number]
    )
    gender = models.CharField(_("性别"), max_length=10, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    organization = models.ForeignKey(
        Organization, verbose_name=_("所在党组织"), on_delete=models.PROTECT, related_name="members"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("平台账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_member",
    )
    status = models.CharField(_("党员类别"), max_length=20, choices=Status.choices)
    joined_on = models.DateField(_("入党日期"))
    full_on = models.DateField(_("转正日期"), null=True, blank=True)
    duties = models.CharField(_("党内职务"), max_length=100, blank=True)
    workplace = models.CharField(_("工作单位及职务"), max_length=200, blank=True)
    left_on = models.DateField(_("转出日期"), null=True, blank=True, help_text=_("组织关系转出本区后填写"))
    left_to = models.CharField(_("转往"), max_length=200, blank=True)

    objects = PartyMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = pgettext_lazy("plural", "党员")
        ordering = ["organization", "name", "id"]
        permissions = [("reveal_id_number", _("查看党员完整身份证号码(记录审计)"))]
        indexes = [models.Index(fields=["organization", "left_on", "name"], name="party_member_org_idx")]

    def __str__(self):
        return self.name

    @property
    def masked_id(self) -> str:
        return identity.mask(self.id_number)


class Transfer(models.Model):
    """A member's move between organizations (组织关系转接), or out of the zone."""

    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="transfers")
    from_organization = models.ForeignKey(
        Organization, verbose_name=_("转出组织"), on_delete=models.PROTECT, related_name="+"
    )
    to_organization = models.ForeignKey(
        Organization,
        verbose_name=_("转入组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_outside = models.CharField(_("转往区外"), max_length=200, blank=True)
    on = models.DateField(_("转接日期"), default=clock.today)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("组织关系转接")
        verbose_name_plural = pgettext_lazy("plural", "组织关系转接")
        ordering = ["member", "on", "id"]

    def __str__(self):
        return f"{self.member_id} {self.on}"


class ReadsParty(ScopedQuerySet):
    def for_user(self, user):
        return self.all() if reads_party(user) else self.none()


class PioneerTeam(models.Model):
    """A 红岩先锋队: members from several organizations around a mission, tied to the records it serves."""

    name = models.CharField(_("先锋队名称"), max_length=120)
    mission = models.TextField(_("使命任务"))
    organization = models.ForeignKey(
        Organization, verbose_name=_("牵头党组织"), on_delete=models.PROTECT, related_name="teams"
    )
    formed_on = models.DateField(_("组建日期"), default=clock.today)
    dissolved_on = models.DateField(_("撤销日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("组建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ReadsParty.as_manager()

    class Meta:
        verbose_name = _("红岩先锋队")
        verbose_name_plural = pgettext_lazy("plural", "红岩先锋队")
        ordering = ["-formed_on", "id"]

    def __str__(self):
        return self.name


LINK_FIELDS = ("project", "enterprise", "category", "area", "bundle")


def _one_target() -> Q:
    """A link of kind K fills the field named K and leaves the others empty."""

    def empty(field):
        return Q(area="") if field == "area" else Q(**{f"{field}__isnull": True})

    return reduce(
        operator.or_,
        (
            Q(*[empty(other) for other in LINK_FIELDS if other != kind], kind=kind) & ~empty(kind)
            for kind in LINK_FIELDS
        ),
    )


class TeamLink(models.Model):
    """What a team serves: exactly one of a project, an enterprise, a problem category, an area or a bundle."""

    class Kind(models.TextChoices):
        PROJECT = "project", _("项目")
        ENTERPRISE = "enterprise", _("企业")
        CATEGORY = "category", _("问题类别")
        AREA = "area", _("区域")
        BUNDLE = "bundle", _("一件事")

    team = models.ForeignKey(PioneerTeam, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(_("联系对象类别"), max_length=20, choices=Kind.choices)
    project = models.ForeignKey("projects.Project", null=True, blank=True, on_delete=models.CASCADE)
    enterprise = models.ForeignKey("enterprises.Enterprise", null=True, blank=True, on_delete=models.CASCADE)
    category = models.ForeignKey("problems.ProblemCategory", null=True, blank=True, on_delete=models.CASCADE)
    area = models.CharField(_("区域"), max_length=40, blank=True)
    bundle = models.ForeignKey("catalog.Bundle", null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("先锋队联系对象")
        verbose_name_plural = pgettext_lazy("plural", "先锋队联系对象")
        ordering = ["team", "kind", "id"]
        constraints = [
            models.CheckConstraint(name="team_link_one_target", condition=_one_target()),
            models.UniqueConstraint(
                fields=["team", "kind", "project", "enterprise", "category", "area", "bundle"],
                name="team_link_once",
            ),
        ]
        indexes = [
            models.Index(fields=["project"], name="team_link_project_idx"),
            models.Index(fields=["enterprise"], name="team_link_enterprise_idx"),
        ]

    def __str__(self):
        return f"{self.team_id} {self.kind}"


class TeamMember(models.Model):
    class Role(models.TextChoices):
        CAPTAIN = "captain", _("队长")
        MEMBER = "member", _("队员")

    team = models.ForeignKey(PioneerTeam, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(
        PartyMember, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="team_memberships"
    )
    role = models.CharField(_("队内职责"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    since = models.DateField(_("加入日期"), default=clock.today)

    class Meta:
        verbose_name = _("先锋队队员")
        verbose_name_plural = pgettext_lazy("plural", "先锋队队员")
        ordering = ["team", "role", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "member"], name="team_member_once")]

    def __str__(self):
        return f"{self.team_id}/{self.member_id}"


class Alliance(models.Model):
    """A project party-building alliance (项目党建联盟, 党建联建): the government branch, the enterprise's party
    organization and the builders' around one project. Its instructor is the project's escort instructor."""

    name = models.CharField(_("联盟名称"), max_length=120)
    project = models.ForeignKey(
        "projects.Project", verbose_name=_("项目"), on_delete=models.PROTECT, related_name="party_alliances"
    )
    lead = models.ForeignKey(
        Organization, verbose_name=_("牵头党组织"), on_delete=models.PROTECT, related_name="led_alliances"
    )
    charter = models.TextField(_("共建内容"), blank=True)
    formed_on = models.DateField(_("成立日期"), default=clock.today)
    dissolved_on = models.DateField(_("解散日期"), null=True, blank=True)
    organizations = models.ManyToManyField(
        Organization, verbose_name=_("成员组织"), through="AllianceMember", related_name="alliances"
    )

    objects = ReadsParty.as_manager()

    class Meta:
        verbose_name = _("项目党建联盟")
        verbose_name_plural = pgettext_lazy("plural", "项目党建联盟")
        ordering = ["-formed_on", "id"]
        indexes = [models.Index(fields=["project"], name="alliance_project_idx")]

    def __str__(self):
        return self.name


class AllianceMember(models.Model):
    class Side(models.TextChoices):
        GOVERNMENT = "government", _("机关")
        ENTERPRISE = "enterprise", _("业主企业")
        BUILDER = "builder", _("施工/监理单位")
        OTHER = "other", _("其他")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, verbose_name=_("党组织"), on_delete=models.PROTECT)
    side = models.CharField(_("所属方"), max_length=20, choices=Side.choices)
    since = models.DateField(_("加入日期"), default=clock.today)

    class Meta:
        verbose_name = _("联盟成员组织")
        verbose_name_plural = pgettext_lazy("plural", "联盟成员组织")
        ordering = ["alliance", "side", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "organization"], name="alliance_member_once")
        ]

    def __str__(self):
        return f"{self.alliance_id}/{self.organization_id}"


class Activity(models.Model):
    """An activity of an organization (三会一课, 主题党日, study, volunteer service) or of an alliance's joint work
    ("四联", "四共"), with its attendance."""

    class Kind(models.TextChoices):
        GENERAL_MEETING = "general_meeting", _("支部党员大会")
        COMMITTEE_MEETING = "committee_meeting", _("支部委员会会议")
        GROUP_MEETING = "group_meeting", _("党小组会")
        PARTY_LECTURE = "party_lecture", _("党课")
        THEME_DAY = "theme_day", _("主题党日")
        STUDY = "study", _("集中学习")
        VOLUNTEER_ONSITE = "volunteer_onsite", _("线下志愿服务")
        VOLUNTEER_ONLINE = "volunteer_online", _("线上志愿服务")
        # "四联" of a construction group's joint building.
        JOINT_ORGANIZATION = "joint_organization", _("组织联建")
        JOINT_EDUCATION = "joint_education", _("教育联抓")
        JOINT_RISK = "joint_risk", _("风险联防")
        JOINT_SUPERVISION = "joint_supervision", _("监督联动")
        # "四共" of a project alliance.
        SHARED_BUILDING = "shared_building", _("组织共建")
        SHARED_RESOURCES = "shared_resources", _("资源共享")
        SHARED_ACTIVITIES = "shared_activities", _("活动共办")
        SHARED_TALENT = "shared_talent", _("人才共育")

    organization = models.ForeignKey(
        Organization, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="activities"
    )
    alliance = models.ForeignKey(
        Alliance,
        verbose_name=_("联建联盟"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("服务项目现场"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_activities",
    )
    kind = models.CharField(_("活动类别"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("活动主题"), max_length=200)
    held_on = models.DateField(_("活动日期"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    online = models.BooleanField(_("线上开展"), default=False)
    hours = models.DecimalField(
        _("时长(小时)"),
        max_digits=4,
        decimal_places=1,
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(24)],
    )
    notes = models.TextField(_("活动记录"), blank=True)
    attendance_count = models.PositiveIntegerField(_("出席人数"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=clock.now)

    objects = ReadsParty.as_manager()

    class Meta:
        verbose_name = _("党组织活动")
        verbose_name_plural = pgettext_lazy("plural", "党组织活动")
        ordering = ["-held_on", "-id"]
        indexes = [
            models.Index(fields=["organization", "kind", "held_on"], name="party_activity_org_idx"),
            models.Index(fields=["alliance", "held_on"], name="party_activity_alliance_idx"),
            models.Index(
                fields=["-held_on", "-id"], name="party_activity_recent_idx"
            ),  # the cockpit's period
        ]

    def __str__(self):
        return f"{self.held_on} {self.title}"


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("出席")
        EXCUSED = "excused", _("请假")
        ABSENT = "absent", _("缺席")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(_("出席情况"), max_length=10, choices=Status.choices, default=Status.PRESENT)

    class Meta:
        verbose_name = _("活动出席")
        verbose_name_plural = pgettext_lazy("plural", "活动出席")
        ordering = ["activity", "member"]
        constraints = [models.UniqueConstraint(fields=["activity", "member"], name="attendance_once")]
        indexes = [models.Index(fields=["member", "status"], name="attendance_member_idx")]

    def __str__(self):
        return f"{self.activity_id}/{self.member_id}"


class MeetingRule(models.Model):
    """A meeting the organizations of some kinds must hold each period (三会一课, 主题党日): data administrators
    edit in the admin. The organization's page shows whether the current period's is held; the morning scan
    reminds its officers `remind_days` before the period ends (`reminders`)."""

    class Every(models.IntegerChoices):
        MONTH = 1, _("每月")
        QUARTER = 3, _("每季度")
        HALF_YEAR = 6, _("每半年")
        YEAR = 12, _("每年")

    kind = models.CharField(_("活动类别"), max_length=30, choices=Activity.Kind.choices, unique=True)
    every_months = models.PositiveSmallIntegerField(_("频次"), choices=Every.choices)
    organization_kinds = models.JSONField(
        _("适用组织类别"), default=list, help_text=_('组织类别的编码列表,例如 ["branch", "general_branch"]')
    )
    remind_days = models.PositiveSmallIntegerField(
        _("提前提醒天数"), default=7, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("组织生活要求")
        verbose_name_plural = pgettext_lazy("plural", "组织生活要求")
        ordering = ["every_months", "kind"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_every_months_display()})"


class EvaluationScheme(models.Model):
    """A yearly evaluation as data (四强支部 / 模范机关 star ratings of organizations, members' points, 六好党员):
    its indicators with their points and caps, the thresholds of its stars, the quota of top ratings. Owned by
    an organization, whose keepers publish the results; the subjects are the organizations (of `subject_kinds`)
    or the members under it."""

    class Kind(models.TextChoices):
        ORGANIZATION_STARS = "organization_stars", _("党组织星级评定(四强支部、模范机关)")
        MEMBER_POINTS = "member_points", _("党员积分")
        SIX_GOOD = "six_good", _("“六好党员”评议")

    name = models.CharField(_("方案名称"), max_length=120)
    kind = models.CharField(_("方案类别"), max_length=30, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    owner = models.ForeignKey(
        Organization, verbose_name=_("组织评定的党组织"), on_delete=models.PROTECT, related_name="schemes"
    )
    subject_kinds = models.JSONField(_("参评组织类别"), default=list, blank=True)
    base_points = models.DecimalField(_("基础分"), max_digits=6, decimal_places=1, default=0)
    # [[stars, minimum total], …], highest first: five stars from 90 points …
    thresholds = models.JSONField(_("星级分数线"), default=list, blank=True)
    quota_percent = models.PositiveSmallIntegerField(
        _("最高等次名额比例(%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    created_at = models.DateTimeField(_("创建时间"), default=clock.now)

    objects = ReadsParty.as_manager()

    class Meta:
        verbose_name = _("评定方案")
        verbose_name_plural = pgettext_lazy("plural", "评定方案")
        ordering = ["-year", "kind", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "kind", "year"], name="scheme_once_a_year")]

    def __str__(self):
        return f"{self.year} {self.name}"


class Indicator(models.Model):
    """One line of a scheme: points a reviewer grants up to its cap (`manual`), points per activity of a kind
    up to the cap (`activity`), points from an outcome rate of the platform's records (`outcome`), or a
    one-vote veto (`veto`: when it applies, the subject gets no rating)."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("自评和审核")
        ACTIVITY = "activity", _("按组织生活次数")
        OUTCOME = "outcome", _("按平台工作成效")
        VETO = "veto", _("一票否决")

    scheme = models.ForeignKey(EvaluationScheme, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(_("指标"), max_length=200)
    source = models.CharField(_("计分方式"), max_length=20, choices=Source.choices)
    cap = models.DecimalField(
        _("分值上限"), max_digits=6, decimal_places=1, default=0, validators=[MinValueValidator(0)]
    )
    per_item = models.DecimalField(_("每次得分"), max_digits=5, decimal_places=1, null=True, blank=True)
    activity_kind = models.CharField(
        _("组织生活类别"), max_length=30, choices=Activity.Kind.choices, blank=True
    )
    outcome = models.CharField(_("成效指标"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评定指标")
        verbose_name_plural = pgettext_lazy("plural", "评定指标")
        ordering = ["scheme", "order", "id"]

    def __str__(self):
        return self.name


class EvaluationQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """An organization's evaluation: everyone who reads party building once published; before, the keepers of
        the subject and above. A member's: the member and the keepers of their organization and above."""
        if user is None or not user.is_authenticated:
            return self.none()
        paths = officer_paths(user)
        mine = (
            under(paths, "organization__path")
            | under(paths, "member__organization__path")
            | Q(member__user=user)
        )
        if reads_party(user):
            mine |= Q(status="published", member__isnull=True)
        return self.filter(mine)


class Evaluation(models.Model):
    """One subject's evaluation under a scheme: self-assessment → review → published result."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("自评中")
        SUBMITTED = "submitted", _("待审核")
        REVIEWED = "reviewed", _("已审核")
        PUBLISHED = "published", _("已公布")

    scheme = models.ForeignKey(EvaluationScheme, on_delete=models.CASCADE, related_name="evaluations")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="evaluations"
    )
    member = models.ForeignKey(
        PartyMember, null=True, blank=True, on_delete=models.CASCADE, related_name="evaluations"
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    total = models.DecimalField(_("总分"), max_digits=7, decimal_places=1, default=0)
    stars = models.PositiveSmallIntegerField(_("星级"), null=True, blank=True)
    vetoed = models.BooleanField(_("一票否决"), default=False)
    self_note = models.TextField(_("自评说明"), blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("评定")
        verbose_name_plural = pgettext_lazy("plural", "评定")
        ordering = ["scheme", "-total", "id"]
        constraints = [
            models.CheckConstraint(
                name="evaluation_one_subject",
                condition=Q(organization__isnull=False, member__isnull=True)
                | Q(organization__isnull=True, member__isnull=False),
            ),
            models.UniqueConstraint(fields=["scheme", "organization"], name="evaluation_organization_once"),
            models.UniqueConstraint(fields=["scheme", "member"], name="evaluation_member_once"),
        ]
        indexes = [models.Index(fields=["scheme", "status", "total"], name="evaluation_scheme_idx")]

    def __str__(self):
        return f"{self.scheme_id}/{self.organization_id or self.member_id}"

    @property
    def subject(self):
        return self.organization or self.member


class Score(models.Model):
    """An indicator's points in one evaluation: claimed by the subject, granted by the reviewer, or computed
    from the platform's records (activities, outcomes) when the evaluation is scored."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="scores")
    claimed = models.DecimalField(_("自评分"), max_digits=6, decimal_places=1, null=True, blank=True)
    granted = models.DecimalField(_("审核分"), max_digits=6, decimal_places=1, null=True, blank=True)
    computed = models.DecimalField(_("系统计算分"), max_digits=6, decimal_places=1, null=True, blank=True)
    basis = models.CharField(_("计分依据"), max_length=300, blank=True)
    evidence = models.TextField(_("佐证说明"), blank=True)
    vetoed = models.BooleanField(_("触发否决"), default=False)

    class Meta:
        verbose_name = _("指标得分")
        verbose_name_plural = pgettext_lazy("plural", "指标得分")
        ordering = ["evaluation", "indicator__order", "id"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "indicator"], name="score_once")]

    def __str__(self):
        return f"{self.evaluation_id}/{self.indicator_id}"
