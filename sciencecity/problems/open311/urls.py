"""/open311/v2/: every GeoReport v2 resource in JSON and XML (the format is the path's suffix)."""

from django.urls import re_path

from . import views

app_name = "open311"
FORMAT = r"\.(?P<fmt>json|xml)$"
# Service codes are category codes (slugs); request ids and tokens are problem numbers.
CODE = r"(?P<service_code>[-\w]+)"

urlpatterns = [
    re_path(rf"^discovery{FORMAT}", views.discovery, name="discovery"),
    re_path(rf"^services{FORMAT}", views.services, name="services"),
    re_path(rf"^services/{CODE}{FORMAT}", views.service_definition, name="service_definition"),
    re_path(rf"^requests{FORMAT}", views.requests, name="requests"),
    re_path(rf"^requests/(?P<service_request_id>[-\w]+){FORMAT}", views.service_request, name="request"),
    re_path(rf"^tokens/(?P<token>[-\w]+){FORMAT}", views.token_lookup, name="token"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
