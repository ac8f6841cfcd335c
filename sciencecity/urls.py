from django.contrib import admin
from django.urls import include, path

from sciencecity.api import pages as api_pages
from sciencecity.api.problems import not_found_view

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("sciencecity.api.urls")),
    path("me/tokens/", api_pages.tokens, name="api_tokens"),
    path("me/tokens/<int:pk>/revoke/", api_pages.revoke, name="api_token_revoke"),
    path("", include("sciencecity.accounts.urls")),
    path("", include("sciencecity.approvals.urls")),
]


def handler404(request, exception):
    """API paths answer a problem document; every other path Django's 404 page."""
    if request.path.startswith("/api/"):
        return not_found_view(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)
