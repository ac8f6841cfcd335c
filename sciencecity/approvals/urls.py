from django.urls import include, path

from .views import certificates, department, leaders, portal, powers, projects, public, target_dates, window

app_name = "approvals"

urlpatterns = [
    path("verify/", certificates.verify_lookup, name="verify_lookup"),
    path("verify/<str:code>/", certificates.verify, name="verify"),
    path("certificates/<int:pk>/pdf/", certificates.certificate_pdf, name="certificate_pdf"),
    # Each audience's module owns its URL list (see views/__init__.py).
    path("", include(public.urlpatterns)),
    path("portal/", include(portal.urlpatterns)),
    path("window/", include(window.urlpatterns)),
    path("department/", include(department.urlpatterns)),
    path("leaders/", include(leaders.urlpatterns)),
    path("projects/", include(projects.urlpatterns)),
    path("powers/", include(powers.urlpatterns)),  # the devolved municipal powers (下放权力清单)
    path("", include(target_dates.urlpatterns)),  # target delivery dates: the portal's and the window's pages
]
