from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.urls import include, path
from django.utils.functional import Promise

from sciencecity.api import pages as api_pages
from sciencecity.api.problems import not_found_view
from sciencecity.ops import health, metrics

urlpatterns = [
    path("health/live/", health.live, name="health_live"),
    path("health/ready/", health.Ready.as_view(), name="health_ready"),
    path("health/", health.Status.as_view(), name="health"),
    path("metrics", metrics.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("sciencecity.api.urls")),
    path("me/tokens/", api_pages.tokens, name="api_tokens"),
    path("me/tokens/<int:pk>/revoke/", api_pages.revoke, name="api_token_revoke"),
    path("problems/", include(("sciencecity.problems.views", "problems"))),
    path("open311/v2/", include("sciencecity.problems.open311.urls")),
    # Key projects' pages; the project page itself (projects/<pk>/) is the approvals' (it lists applications).
    path("enterprises/", include(("sciencecity.enterprises.views", "enterprises"))),
    path("policies/", include(("sciencecity.policies.views", "policies"))),
    path("fund/", include(("sciencecity.fund.views", "fund"))),
    path("party/", include("sciencecity.partybuilding.urls")),
    path("cockpit/", include(("sciencecity.cockpit.views", "cockpit"))),
    path("interactions/", include(("sciencecity.interactions.views", "interactions"))),
    path("service-events/", include(("sciencecity.interactions.service_events.views", "service_events"))),
    path("projects/ledger/", include(("sciencecity.projects.ledger_views", "ledger"))),
    path("projects/", include(("sciencecity.projects.views", "projects"))),
    path("", include("sciencecity.accounts.urls")),
    path("", include("sciencecity.notifications.urls")),
    path("", include("sciencecity.approvals.urls")),
]

if settings.OIDC_ENABLED:
    # Single sign-on through the zone's identity provider (统一身份认证): authenticate/, callback/, logout/.
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))


def _message_of(exception) -> str:
    """The message an exception was raised with, if it has one meant for people (not a resolver's dict, not
    just the class name)."""
    message = exception.args[0] if exception is not None and exception.args else ""
    return str(message) if isinstance(message, str | Promise) else ""


def handler403(request, exception):
    """A refusal, in the site's layout and language, with the reason it was raised with."""
    return render(request, "403.html", {"message": _message_of(exception)}, status=403)


def handler404(request, exception):
    """API paths answer a problem document; every other path the site's 404 page."""
    if request.path.startswith("/api/"):
        return not_found_view(request, exception)
    return render(request, "404.html", {"message": _message_of(exception)}, status=404)


# 500: Django's `server_error` renders templates/500.html without a request context, so the page needs
# nothing but the template itself (no database, no context processors). A database outage answers 503.
handler500 = "sciencecity.ops.outage.server_error_or_outage"
