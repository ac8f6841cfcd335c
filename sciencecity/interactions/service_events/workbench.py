"""Service events on the workbench, in the main menu and on the enterprise file: the staff see what is coming
and what waits for its outcome; an enterprise the events it attends."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.accounts.workbench import MenuEntry, card, menu_entry
from sciencecity.accounts.workbench import count as _count
from sciencecity.enterprises.sections import Row, Section, section
from sciencecity.workdays import clock
from sciencecity.workflow.paging import capped_count, shown_count

from ..models import EventParticipant, ServiceEvent
from .services import HOLD, VIEW

LIST = "service_events:list"
FILE_ROWS = 10  # rows of the section on the enterprise file


def _reads(user) -> bool:
    return user.is_authenticated and user.has_perm(VIEW)


@card(76)
def events_card(user):
    if not _reads(user):
        return None
    events = ServiceEvent.objects.for_user(user)
    url = reverse(LIST)
    upcoming = capped_count(events.filter(status=ServiceEvent.Status.SCHEDULED, starts_at__gte=clock.now()))
    counts = [_count(_("即将举办"), shown_count(upcoming), f"{url}?when=upcoming")]
    if user.has_perm(HOLD) and is_civil_servant(user):
        waiting = capped_count(
            events.filter(status=ServiceEvent.Status.SCHEDULED, starts_at__lt=clock.now(), created_by=user)
        )
        counts.append(
            _count(_("待记录成果"), shown_count(waiting), f"{url}?when=past&status=scheduled&mine=on")
        )
    return {
        "title": _("惠企服务活动"),
        "url": url,
        "description": _(
            "科学家·创业者·陪跑人交流对话会、政策宣讲、对接会和组团上门服务:参加者、企业诉求和活动成果。"
        ),
        "counts": counts,
    }


@menu_entry(86)
def events_entry(user):
    return MenuEntry(_("服务活动"), reverse(LIST)) if _reads(user) else None


@section(46)
def enterprise_events(user, enterprise):
    """The service events the enterprise took part in, on its file, as far as the reader sees them."""
    if not _reads(user):
        return None
    attended = EventParticipant.objects.filter(enterprise=enterprise).values("event_id")
    events = list(
        ServiceEvent.objects.for_user(user)
        .filter(pk__in=attended)
        .select_related("department")
        .order_by("-starts_at", "-id")[:FILE_ROWS]
    )
    return Section(
        key="service-events",
        title=_("参加的服务活动"),
        rows=[
            Row(
                f"{timezone.localtime(event.starts_at):%Y-%m-%d} {event.title}",
                reverse("service_events:detail", args=[event.pk]),
                f"{event.get_kind_display()} · {event.get_status_display()}",
            )
            for event in events
        ],
        more_url=f"{reverse(LIST)}?enterprise={enterprise.pk}" if events else "",
        empty=_("尚未参加服务活动。"),
    )
