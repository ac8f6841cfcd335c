"""The inbox page: the signed-in user's notifications grouped by kind, or filtered into one paginated list, and
marking them read (all, or one kind)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sciencecity.workflow.errors import post_only

from . import selectors, services
from .forms import READ, UNREAD, NotificationFilterForm
from .kinds import kind_label
from .models import Notification
from .subjects import link_all

NOTIFICATIONS_PER_PAGE = 20


@login_required
@require_GET
def inbox(request):
    """The signed-in user's notifications. Unread ones grouped by kind (each group: its name, how many, the
    newest few, a link to the whole kind, a button marking the kind read), or, filtered by kind or read
    state (and when nothing is unread), one paginated list. A fixed number of queries whatever the number
    of notifications: the unread counts per kind (one GROUP BY), then the newest of each kind or the page,
    then their subjects and links (`subjects.link_all`: a few per kind of subject)."""
    user = request.user
    form = NotificationFilterForm(request.GET)
    form.is_valid()  # an invalid filter is ignored, the valid ones apply
    kind = form.cleaned_data.get("kind") or ""
    state = form.cleaned_data.get("state") or ""
    groups = selectors.unread_by_kind(user)
    unread_count = sum(group.unread for group in groups)
    context = {"form": form, "unread_count": unread_count, "kind": kind, "state": state}
    if not kind and (state == UNREAD or (not state and unread_count)):
        link_all(user, selectors.with_latest(user, groups))
        context["groups"] = groups
    else:
        rows = Notification.objects.for_user(user)
        if kind:
            rows = rows.filter(kind=kind)
        if state in (UNREAD, READ):
            rows = rows.filter(read_at__isnull=state == UNREAD)
        page = Paginator(rows.order_by("-created_at", "-id"), NOTIFICATIONS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        page.object_list = list(page.object_list)
        link_all(user, page.object_list)
        context["page"] = page
        if kind:
            context["kind_label"] = kind_label(kind)
            context["kind_unread"] = next((group.unread for group in groups if group.kind == kind), 0)
    return render(request, "notifications/inbox.html", context)


def _back_to_inbox(request) -> str:
    """Where a mark-read form leads back: the notifications page it was posted from (its filters kept)."""
    page = reverse("notifications:inbox")
    target = request.POST.get("next", "")
    if target.startswith(page) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return page


@login_required
@post_only("notifications:inbox")
def mark_all_read(request):
    """Mark the user's unread notifications read: those of one kind when the form names it, else all."""
    kind = request.POST.get("kind", "")
    if kind:
        try:
            count = services.mark_kind_read(request.user, kind)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(_back_to_inbox(request))
        messages.success(
            request,
            _("已将 %(count)s 条“%(kind)s”通知标为已读。") % {"count": count, "kind": kind_label(kind)},
        )
    else:
        count = services.mark_all_read(request.user)
        messages.success(request, _("已将 %(count)s 条通知标为已读。") % {"count": count})
    return redirect(_back_to_inbox(request))
