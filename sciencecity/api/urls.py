"""/api/v1/: every app's resources (its `api.routes`), the OpenAPI schema and its browsable docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from sciencecity.accounts import api as accounts_api
from sciencecity.approvals import api as approvals_api
from sciencecity.audit import api as audit_api
from sciencecity.catalog import api as catalog_api
from sciencecity.enterprises import api as enterprises_api
from sciencecity.projects import api as projects_api
from sciencecity.workdays import api as workdays_api

from . import views

ROUTE_MODULES = [
    accounts_api,
    catalog_api,
    enterprises_api,
    projects_api,
    approvals_api,
    audit_api,
    workdays_api,
]

router = DefaultRouter()
router.include_root_view = False
router.register("tokens", views.ApiTokenViewSet, basename="token")
for module in ROUTE_MODULES:
    for prefix, viewset, basename in module.routes:
        router.register(prefix, viewset, basename=basename)

app_name = "api"
urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include(router.urls)),
    re_path(r"^", views.UnknownAddressView.as_view()),  # last: what nothing above matched
]
