"""The refusals of every state machine's services, which the pages and the API translate into responses.

- `transitions.IllegalTransition`: the action is not allowed in the object's state (409).
- `django.core.exceptions.PermissionDenied`: the user may not take the action (403).
- `NotFound`: the object is outside the user's scope (ARCHITECTURE.md rule 5): refused exactly as if it did
  not exist (404), so nobody learns that an application of another enterprise exists.
- `django.core.exceptions.ValidationError`: bad input, with a message per field, material or question (400);
  the upload checks use the codes `file_too_large` (413) and `unsupported_file_type` (415).
- `workdays.calendar.UnknownCalendarYear`: a deadline would fall in a year whose working-day schedule nobody
  has entered and that cannot be counted provisionally either (outside 1950–2100; a year not yet published
  is counted provisionally, see workdays.calendar) (409); the service rolled back, so nothing changed.

The pages catch the refusals of an action in one way (`ACTION_REFUSALS`, worded by `refusal_message`), and
answer a GET on a POST-only action address with its page (`post_only`).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from sciencecity.workdays.calendar import UnknownCalendarYear

from .transitions import IllegalTransition

# What a service refuses an action with, other than bad input: the pages show it as a message and change
# nothing. (`NotFound` is a `PermissionDenied`: a view that must answer 404 re-raises `Http404` first.)
ACTION_REFUSALS = (IllegalTransition, PermissionDenied, UnknownCalendarYear)


class NotFound(Http404, PermissionDenied):
    """The object does not exist for this user. An `Http404`, so Django and DRF answer 404; a
    `PermissionDenied` as well, so that code which refuses on permission also refuses on scope."""


def not_found(model) -> NotFound:
    return NotFound(_("%(object)s不存在,或您无权访问。") % {"object": model._meta.verbose_name})


def fetch_in_scope(queryset, pk, *, lock: bool = False, of=None):
    """The row `pk` of a `for_user()` queryset, locked if asked; `NotFound` when it is outside the scope."""
    if lock:
        queryset = queryset.select_for_update(of=of) if of else queryset.select_for_update()
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist:
        raise not_found(queryset.model) from None


def field_error(field: str, message, code: str) -> ValidationError:
    """A ValidationError about one field (or material, or question) that keeps its code."""
    return ValidationError({field: [ValidationError(message, code=code)]})


def attach_errors(form, error) -> None:
    """Put a service's ValidationError on a page's form: per field where the form has that field, else on top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _may_enter_holidays(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_staff
        and (user.is_superuser or user.has_perm("workdays.change_holidayoverride"))
    )


def refusal_message(error, user=None) -> str:
    """The sentence a page shows for one of `ACTION_REFUSALS`. An unknown calendar year says which year,
    that nothing was saved and who must act; administrators who can act get the link to the admin page."""
    if not isinstance(error, UnknownCalendarYear):
        return str(error)
    text = _(
        "%(year)s年的工作日历(法定节假日安排)既未录入,也无法按法定节假日推算,无法计算办理期限,"
        "本次操作未执行,没有保存任何内容。请管理员录入%(year)s年的节假日安排并确认年度日历后再试。"
    ) % {"year": error.year}
    if not _may_enter_holidays(user):
        return text
    return format_html(
        '{} <a href="{}">{}</a>',
        text,
        reverse("admin:workdays_holidayoverride_changelist"),
        _("录入节假日安排"),
    )


def post_only(page: str, *keys: str, anchor: str = ""):
    """For a view that only takes a POST (an action of a page's form): a GET or HEAD of its address is
    redirected to the page, `page` reversed with the view's keyword arguments named in `keys`, plus
    `anchor`. A page that answers an invalid POST with its errors leaves the action's address in the
    address bar; refreshing it, or switching the language, then GETs it and finds the page again, not a
    blank 405. Other methods are refused with 405."""

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if request.method in ("GET", "HEAD"):
                return redirect(reverse(page, kwargs={key: kwargs[key] for key in keys}) + anchor)
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, *args, **kwargs)

        return checked

    return decorator
