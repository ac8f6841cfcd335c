"""Pages: see sciencecity/approvals/views/__init__.py."""

urlpatterns = []
