"""Evaluations as configurable schemes: their one write path, on the shared workflow core.

A scheme (四强支部 / 模范机关 stars, members' points, 六好党员) is data: indicators with their caps, star thresholds
and a quota of top ratings. Opening it creates one evaluation per subject. Each evaluation moves through
`EVALUATIONS`: the subject's keepers self-assess (`submit`, claimed points of the manual indicators, never above
a cap), the keepers above review (`review`, granted points and vetoes; or `return` it), the scheme owner's
keepers `publish` the reviewed results — refused as a whole when the top rating would exceed its quota.
Points from the platform's records (activities held or attended, outcome rates) are computed, not typed.
"""

import math
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.audit import record
from sciencecity.workdays import clock
from sciencecity.workflow.transitions import TransitionTable

from .. import outcomes
from ..access import KEEP, keeps, require_keeper
from ..models import (
    Activity,
    Attendance,
    Evaluation,
    EvaluationScheme,
    Indicator,
    Organization,
    PartyMember,
    Score,
)

E = Evaluation.Status
EVALUATIONS = TransitionTable(
    Evaluation,
    [
        (E.DRAFT, "submit", E.SUBMITTED, KEEP),
        (E.SUBMITTED, "review", E.REVIEWED, KEEP),
        (E.SUBMITTED, "return", E.DRAFT, KEEP),
        (E.REVIEWED, "publish", E.PUBLISHED, KEEP),
    ],
    {
        "submit": gettext_lazy("提交自评"),
        "review": gettext_lazy("审核评定"),
        "return": gettext_lazy("退回重新自评"),
        "publish": gettext_lazy("公布结果"),
    },
)
# The outcome rates an indicator may score (points = cap × rate / 100).
OUTCOME_RATES = {
    "problems_on_time_rate": gettext_lazy("问题按期办结率"),
    "applications_on_time_rate": gettext_lazy("办件承诺期限内办结率"),
}
S = Indicator.Source
MAX_POINTS = Decimal("1000")


def _points(value, field: str) -> Decimal:
    try:
        points = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("分值应为数字。")}) from None
    if not points.is_finite() or points < 0 or points > MAX_POINTS:
        raise ValidationError({field: _("分值应在0到1000之间。")})
    return points


def _thresholds(rows) -> list[list]:
    """[[stars, minimum], …] with 1–5 stars, each minimum lower than the one above it."""
    clean = []
    for index, row in enumerate(rows or []):
        try:
            stars, minimum = int(row[0]), _points(row[1], f"thresholds.{index}")
        except (TypeError, ValueError, IndexError):
            raise ValidationError({f"thresholds.{index}": _("星级分数线应为“星级:最低分”。")}) from None
        if not 1 <= stars <= 5:
            raise ValidationError({f"thresholds.{index}": _("星级应为1到5星。")})
        clean.append([stars, str(minimum)])
    clean.sort(key=lambda row: -row[0])
    for upper, lower in zip(clean, clean[1:], strict=False):
        if upper[0] == lower[0] or Decimal(upper[1]) <= Decimal(lower[1]):
            raise ValidationError({"thresholds": _("星级越高,分数线应越高,且每个星级只能出现一次。")})
    return clean


def _indicator(index: int, row: dict) -> dict:
    field = f"indicators.{index}"
    name = (row.get("name") or "").strip()
    if not name:
        raise ValidationError({field: _("请填写指标名称。")})
    source = row.get("source")
    if source not in S.values:
        raise ValidationError({field: _("计分方式不正确。")})
    cap = _points(row.get("cap", 0), field)
    clean = {"name": name[:200], "source": source, "cap": cap, "order": index}
    if source != S.VETO and cap <= 0:
        raise ValidationError({field: _("请填写分值上限。")})
    if source == S.ACTIVITY:
        kind = row.get("activity_kind")
        if kind not in Activity.Kind.values:
            raise ValidationError({field: _("请选择计分的组织生活类别。")})
        per_item = _points(row.get("per_item") or 0, field)
        if per_item <= 0:
            raise ValidationError({field: _("请填写每次得分。")})
        clean |= {"activity_kind": kind, "per_item": per_item}
    if source == S.OUTCOME:
        if row.get("outcome") not in OUTCOME_RATES:
            raise ValidationError({field: _("成效指标不正确。")})
        clean["outcome"] = row["outcome"]
    return clean


def define_scheme(
    user,
    owner: Organization,
    *,
    name: str,
    kind: str,
    year: int,
    indicators: list[dict],
    subject_kinds=(),
    base_points=0,
    thresholds=(),
    quota_percent=None,
) -> EvaluationScheme:
    """A scheme with its indicators, every row checked (its error named `indicators.N`) before anything is saved."""
    require_keeper(user, owner)
    if kind not in EvaluationScheme.Kind.values:
        raise ValidationError({"kind": _("方案类别不正确。")})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写方案名称。")})
    if not isinstance(year, int) or not 2000 <= year <= clock.today().year + 1:
        raise ValidationError({"year": _("年度不正确。")})
    if not indicators:
        raise ValidationError({"indicators": _("请至少设置一项指标。")})
    rows = [_indicator(index, row) for index, row in enumerate(indicators)]
    kinds = list(subject_kinds or [])
    wrong_kinds = not kinds or set(kinds) - set(Organization.Kind.values)
    if kind == EvaluationScheme.Kind.ORGANIZATION_STARS and wrong_kinds:
        raise ValidationError({"subject_kinds": _("请选择参评的组织类别。")})
    base = _points(base_points, "base_points")
    if base + sum(row["cap"] for row in rows) > MAX_POINTS:
        raise ValidationError({"indicators": _("基础分和各项上限之和不能超过1000分。")})
    if quota_percent is not None and not 1 <= int(quota_percent) <= 100:
        raise ValidationError({"quota_percent": _("名额比例应在1%到100%之间。")})
    clean_thresholds = _thresholds(thresholds)
    with transaction.atomic():
        if EvaluationScheme.objects.filter(owner=owner, kind=kind, year=year).exists():
            raise ValidationError({"year": _("该组织本年度已有同类评定方案。")})
        scheme = EvaluationScheme.objects.create(
            owner=owner,
            name=name[:120],
            kind=kind,
            year=year,
            subject_kinds=kinds,
            base_points=base,
            thresholds=clean_thresholds,
            quota_percent=quota_percent,
        )
        Indicator.objects.bulk_create([Indicator(scheme=scheme, **row) for row in rows])
        record(
            user, "partybuilding.define_scheme", scheme, after={"name": scheme.name, "indicators": len(rows)}
        )
    return scheme


def subjects_of(scheme: EvaluationScheme):
    if scheme.kind == EvaluationScheme.Kind.ORGANIZATION_STARS:
        return Organization.objects.active().filter(
            path__startswith=scheme.owner.path, kind__in=scheme.subject_kinds
        )
    return PartyMember.objects.current().filter(organization__path__startswith=scheme.owner.path)


def open_scheme(user, scheme: EvaluationScheme) -> int:
    """One evaluation per subject under the owner (again: only the subjects that have none yet)."""
    require_keeper(user, scheme.owner)
    field = "organization" if scheme.kind == EvaluationScheme.Kind.ORGANIZATION_STARS else "member"
    with transaction.atomic():
        have = set(scheme.evaluations.values_list(f"{field}_id", flat=True))
        made = Evaluation.objects.bulk_create(
            [
                Evaluation(scheme=scheme, **{f"{field}_id": pk})
                for pk in subjects_of(scheme).values_list("pk", flat=True)
                if pk not in have
            ],
            batch_size=1000,
        )
        record(user, "partybuilding.open_scheme", scheme, after={"evaluations": len(made)})
    return len(made)


def _organization_of(evaluation: Evaluation) -> Organization:
    return evaluation.organization or evaluation.member.organization


def _computed(evaluation: Evaluation, indicator: Indicator) -> tuple[Decimal, str]:
    """The points of an activity or outcome indicator from the platform's records, and what they rest on."""
    year = evaluation.scheme.year
    if indicator.source == S.ACTIVITY:
        if evaluation.member_id:
            count = Attendance.objects.filter(
                member_id=evaluation.member_id,
                status=Attendance.Status.PRESENT,
                activity__kind=indicator.activity_kind,
                activity__held_on__year=year,
            ).count()
        else:
            count = Activity.objects.filter(
                organization_id=evaluation.organization_id, kind=indicator.activity_kind, held_on__year=year
            ).count()
        points = min(indicator.cap, indicator.per_item * count)
        basis = _("%(year)s年%(kind)s %(count)s 次") % {
            "year": year,
            "kind": Activity.Kind(indicator.activity_kind).label,
            "count": count,
        }
        return points, basis
    organization = _organization_of(evaluation)
    result = outcomes.outcomes(outcomes.reach_of_organization(organization), year)
    rate = getattr(result, indicator.outcome)
    if rate is None:
        return Decimal("0"), _("%(name)s:本年度无记录") % {"name": OUTCOME_RATES[indicator.outcome]}
    points = (indicator.cap * Decimal(str(rate)) / 100).quantize(Decimal("0.1"))
    return points, f"{OUTCOME_RATES[indicator.outcome]} {rate}%"


def _score(evaluation: Evaluation) -> None:
    """The computed points, the total and the stars of an evaluation from its scores."""
    scheme = evaluation.scheme
    total = Decimal(scheme.base_points)
    vetoed = False
    rows = {row.indicator_id: row for row in evaluation.scores.all()}
    for indicator in scheme.indicators.all():
        row = rows.get(indicator.pk) or Score(evaluation=evaluation, indicator=indicator)
        if indicator.source in (S.ACTIVITY, S.OUTCOME):
            row.computed, row.basis = _computed(evaluation, indicator)
            total += row.computed
        elif indicator.source == S.MANUAL:
            total += row.granted if row.granted is not None else (row.claimed or 0)
        else:
            vetoed = vetoed or row.vetoed
        row.save()
    evaluation.total = total
    evaluation.vetoed = vetoed
    evaluation.stars = (
        None
        if vetoed
        else next((int(stars) for stars, minimum in scheme.thresholds if total >= Decimal(minimum)), None)
    )


def _locked(evaluation: Evaluation) -> Evaluation:
    # Only the evaluation's row: PostgreSQL cannot lock the nullable side of the outer joins.
    return (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("scheme__owner", "organization", "member__organization")
        .get(pk=evaluation.pk)
    )


def _manual_points(evaluation, given: dict, field: str) -> dict:
    """{indicator: points} for the scheme's manual indicators, each within its cap (checked before writing)."""
    indicators = {i.pk: i for i in evaluation.scheme.indicators.filter(source=S.MANUAL)}
    clean = {}
    for key, value in (given or {}).items():
        indicator = indicators.get(int(key))
        if indicator is None:
            raise ValidationError({field: _("指标 %(id)s 不是本方案需要评分的指标。") % {"id": key}})
        points = _points(value, f"{field}.{key}")
        if points > indicator.cap:
            raise ValidationError(
                {
                    f"{field}.{key}": _("“%(name)s”最多 %(cap)s 分,不能给 %(points)s 分。")
                    % {"name": indicator.name, "cap": indicator.cap, "points": points}
                }
            )
        clean[indicator] = points
    return clean


def require_self(user, evaluation: Evaluation) -> None:
    """The subject's own keepers (and those above) self-assess; a member self-assesses their own."""
    if user is not None and evaluation.member_id and evaluation.member.user_id == user.pk:
        return
    require_keeper(user, _organization_of(evaluation))


def submit(
    user, evaluation: Evaluation, *, claimed: dict, evidence: dict | None = None, note: str = ""
) -> Evaluation:
    """Self-assessment: the claimed points of the manual indicators with their evidence."""
    require_self(user, evaluation)
    with transaction.atomic():
        evaluation = _locked(evaluation)
        EVALUATIONS.apply(evaluation, "submit", None)  # the state; who may is `require_self`'s
        points = _manual_points(evaluation, claimed, "claimed")
        missing = [i.name for i in evaluation.scheme.indicators.filter(source=S.MANUAL) if i not in points]
        if missing:
            raise ValidationError(
                {"claimed": _("请为每项自评指标打分:%(names)s。") % {"names": "、".join(missing)}}
            )
        for indicator, value in points.items():
            Score.objects.update_or_create(
                evaluation=evaluation,
                indicator=indicator,
                defaults={
                    "claimed": value,
                    "evidence": str((evidence or {}).get(str(indicator.pk), ""))[:2000],
                },
            )
        evaluation.self_note = (note or "").strip()[:5000]
        evaluation.submitted_at = clock.now()
        _score(evaluation)
        evaluation.save()
        record(user, "partybuilding.submit_evaluation", evaluation, after={"total": str(evaluation.total)})
    return evaluation


def require_reviewer(user, evaluation: Evaluation) -> None:
    """Reviewed from above: for an organization the keepers of its parent; for a member those of their
    organization (a member does not review themself)."""
    if user is None:
        return
    if evaluation.organization_id:
        organization = evaluation.organization
        above = organization.path[: -organization.steplen]
        if not above or not keeps(user, Organization.objects.get(path=above)):
            raise PermissionDenied(_("评定由上级党组织的党务工作人员审核。"))
    else:
        if evaluation.member.user_id == user.pk:
            raise PermissionDenied(_("党员不能审核自己的评定。"))
        require_keeper(user, evaluation.member.organization)


def review(
    user, evaluation: Evaluation, *, granted: dict, vetoes: list | None = None, note: str = ""
) -> Evaluation:
    """The review from above: granted points (each within its cap) and the vetoes that apply."""
    require_reviewer(user, evaluation)
    with transaction.atomic():
        evaluation = _locked(evaluation)
        EVALUATIONS.apply(evaluation, "review", user)
        points = _manual_points(evaluation, granted, "granted")
        veto_indicators = {i.pk: i for i in evaluation.scheme.indicators.filter(source=S.VETO)}
        chosen = set()
        for key in vetoes or []:
            if int(key) not in veto_indicators:
                raise ValidationError({"vetoes": _("指标 %(id)s 不是本方案的否决项。") % {"id": key}})
            chosen.add(int(key))
        for indicator, value in points.items():
            Score.objects.update_or_create(
                evaluation=evaluation, indicator=indicator, defaults={"granted": value}
            )
        for pk, indicator in veto_indicators.items():
            Score.objects.update_or_create(
                evaluation=evaluation, indicator=indicator, defaults={"vetoed": pk in chosen}
            )
        evaluation.review_note = (note or "").strip()[:5000]
        evaluation.reviewed_at = clock.now()
        evaluation.reviewed_by = user
        _score(evaluation)
        evaluation.save()
        record(
            user,
            "partybuilding.review_evaluation",
            evaluation,
            after={"total": str(evaluation.total), "stars": evaluation.stars, "vetoed": evaluation.vetoed},
        )
    return evaluation


def send_back(user, evaluation: Evaluation, *, note: str) -> Evaluation:
    require_reviewer(user, evaluation)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请说明退回的原因。")})
    with transaction.atomic():
        evaluation = _locked(evaluation)
        EVALUATIONS.apply(evaluation, "return", user)
        evaluation.review_note = note[:5000]
        evaluation.save(update_fields=["status", "review_note"])
        record(user, "partybuilding.return_evaluation", evaluation, after={"note": note[:200]})
    return evaluation


def publish(user, scheme: EvaluationScheme) -> int:
    """Publish every reviewed evaluation of the scheme; refused as a whole when the top rating would exceed the
    quota (of all the scheme's evaluations)."""
    require_keeper(user, scheme.owner)
    with transaction.atomic():
        scheme = EvaluationScheme.objects.select_for_update().get(pk=scheme.pk)
        ready = list(Evaluation.objects.select_for_update().filter(scheme=scheme, status=E.REVIEWED))
        if not ready:
            raise ValidationError(_("没有已审核待公布的评定。"))
        if scheme.quota_percent and scheme.thresholds:
            top = max(int(stars) for stars, _minimum in scheme.thresholds)
            allowed = math.floor(scheme.evaluations.count() * scheme.quota_percent / 100)
            rated = Evaluation.objects.filter(scheme=scheme, stars=top).filter(
                Q(status=E.PUBLISHED) | Q(pk__in=[e.pk for e in ready])
            )
            if rated.count() > allowed:
                raise ValidationError(
                    _(
                        "%(stars)s星名额为 %(allowed)s 个(%(quota)s%%),现有 %(count)s 个达到,请在审核中调整后再公布。"
                    )
                    % {
                        "stars": top,
                        "allowed": allowed,
                        "quota": scheme.quota_percent,
                        "count": rated.count(),
                    }
                )
        now = clock.now()
        for evaluation in ready:
            EVALUATIONS.apply(evaluation, "publish", user)
            evaluation.published_at = now
        Evaluation.objects.bulk_update(ready, ["status", "published_at"])
        record(user, "partybuilding.publish_evaluations", scheme, after={"published": len(ready)})
    return len(ready)
