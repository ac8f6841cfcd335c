"""Background tasks of bundled approval (the Tasks framework; `manage.py db_worker` runs them).

Each task is idempotent (ARCHITECTURE.md rule 7): it may run twice, or after the work was already done on a
download, without harm.
"""

from django_tasks import task

from .models import Certificate
from .pdf import store_certificate_pdf


@task()
def render_certificate(certificate_id: int) -> str:
    """Render and store the PDF of a certificate, unless it is stored already; returns the stored file name
    ("" when the certificate no longer exists)."""
    certificate = Certificate.objects.filter(pk=certificate_id).first()
    if certificate is None:
        return ""
    return store_certificate_pdf(certificate).pdf.name
