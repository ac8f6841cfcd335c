"""Claims' time limits counted in a year whose official holiday schedule was not yet published are
provisional; when the year is confirmed, `workdays.recount` counts them again from the day the claim was
submitted and the policy's number of working days (ARCHITECTURE.md rule 4)."""

from django.db import transaction
from django.utils import timezone

from sciencecity.audit.services import record
from sciencecity.workdays.calendar import deadline_after
from sciencecity.workdays.recount import Outcome, ProvisionalDeadlines

from .models import Claim


def _open_provisional():
    return Claim.objects.filter(
        due_on_provisional=True, status=Claim.Status.SUBMITTED, submitted_at__isnull=False
    )


@transaction.atomic
def recount_claim(pk) -> Outcome:
    claim = _open_provisional().select_for_update().select_related("policy").filter(pk=pk).first()
    if claim is None:
        return Outcome.SKIPPED
    old = (claim.due_on, claim.due_on_provisional)
    start = timezone.localdate(claim.submitted_at)
    new = tuple(deadline_after(start, claim.policy.time_limit_days))
    if new == old:
        return Outcome.STILL_PROVISIONAL
    claim.due_on, claim.due_on_provisional = new
    claim.save(update_fields=["due_on", "due_on_provisional"])
    record(
        None,
        "policies.recount_claim_due_date",
        claim,
        before={"due_on": old[0].isoformat(), "due_on_provisional": old[1]},
        after={"due_on": new[0].isoformat(), "due_on_provisional": new[1]},
    )
    return Outcome.MOVED if new[0] != old[0] else Outcome.FIRMED


KIND = ProvisionalDeadlines(
    name="policies.claim",
    open_keys=lambda: _open_provisional().order_by("pk").values_list("pk", flat=True),
    recount=recount_claim,
    years=lambda: {day.year for day in _open_provisional().dates("due_on", "year")},
)
