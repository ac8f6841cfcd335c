"""Who reads the cockpit: a zone-wide reader (leaders, supervisors, administrators) with
`cockpit.view_cockpit`. Supervisors read it as leaders do; only `cockpit.generate_report` asks for a report."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from sciencecity.accounts.scoping import sees_everything

VIEW = "cockpit.view_cockpit"
GENERATE = "cockpit.generate_report"


def reads_cockpit(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(VIEW) and sees_everything(user))


def cockpit_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not reads_cockpit(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped)
