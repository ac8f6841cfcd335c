"""/api/v1/: every app's resources (its `api.routes`), the OpenAPI schema and its browsable docs."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from sciencecity.accounts import api as accounts_api
from sciencecity.approvals import api as approvals_api
from sciencecity.audit import api as audit_api
from sciencecity.catalog import api as catalog_api
from sciencecity.cockpit import api as cockpit_api
from sciencecity.cockpit import timeline_api
from sciencecity.enterprises import api as enterprises_api
from sciencecity.fund import api as fund_api
from sciencecity.interactions import api as interactions_api
from sciencecity.interactions.service_events import api as service_events_api
from sciencecity.notifications import api as notifications_api
from sciencecity.partybuilding import api as partybuilding_api
from sciencecity.policies import api as policies_api
from sciencecity.problems import api as problems_api
from sciencecity.problems.rivers import api as rivers_api
from sciencecity.projects import api as projects_api
from sciencecity.projects import campaign_api, ledger_api, mass_start_api
from sciencecity.workdays import api as workdays_api

from . import views

ROUTE_MODULES = [
    accounts_api,
    catalog_api,
    enterprises_api,
    ledger_api,  # before projects_api: its `projects/ledger/` must not be read as a project's id
    projects_api,
    campaign_api,
    mass_start_api,
    policies_api,
    fund_api,
    interactions_api,
    service_events_api,
    partybuilding_api,
    problems_api,
    rivers_api,
    approvals_api,
    cockpit_api,
    timeline_api,
    notifications_api,
    audit_api,
    workdays_api,
]

router = DefaultRouter()
router.include_root_view = False
router.register("tokens", views.ApiTokenViewSet, basename="token")
for module in ROUTE_MODULES:
    for prefix, viewset, basename in module.routes:
        router.register(prefix, viewset, basename=basename)

# The browsable docs are third-party pages (Swagger UI, ReDoc) that style their elements inline; their scripts
# are static files (the split Swagger view serves its start-up script at ?script), so only their styles, and
# ReDoc's worker, are let through — on these two pages only.
docs_policy = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})

app_name = "api"
urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs_policy(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    path("redoc/", docs_policy(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    path("", include(router.urls)),
    re_path(r"^", views.UnknownAddressView.as_view()),  # last: what nothing above matched
]
