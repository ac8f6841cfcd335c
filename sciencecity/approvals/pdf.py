"""The PDF of an electronic certificate (电子证照): HTML rendered by WeasyPrint with the Noto Sans CJK SC font,
and a QR code that links to the certificate's public verification page.

A certificate's PDF is rendered once, in a background task after it is issued (`tasks.render_certificate`),
or on first download if that task has not run yet, and stored through Django's storage API. It is always
rendered in Chinese: it is an official document, and the stored file is the same for every reader whatever
language they chose. The QR code's address comes from `SITE_URL`, not from the request that happened to
trigger rendering, so the stored file never carries an internal host name.
"""

import base64

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import Certificate
from .selectors import permits_of

PDF_LANGUAGE = "zh-hans"
TEMPLATE = "approvals/certificate_pdf.html"


def verification_url(certificate: Certificate, base_url: str | None = None) -> str:
    """The absolute address of the certificate's public verification page, which its QR code encodes."""
    base = (base_url or settings.SITE_URL).rstrip("/")
    return base + reverse("approvals:verify", kwargs={"code": certificate.verification_code})


def qr_code(data: str) -> qrcode.QRCode:
    """The QR code of `data`: error correction M (survives a creased or stamped printout), standard 4-module
    quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_code_svg(data: str) -> str:
    """The QR code of `data` as SVG markup, one square per dark module (vector: sharp at any print size)."""
    return qr_code(data).make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")


def qr_code_data_uri(data: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_code_svg(data).encode()).decode("ascii")


def render_certificate_html(certificate: Certificate, base_url: str | None = None) -> str:
    url = verification_url(certificate, base_url)
    with translation.override(PDF_LANGUAGE):
        return render_to_string(
            TEMPLATE,
            {
                "certificate": certificate,
                "enterprise": certificate.enterprise,
                "project": certificate.project,
                "department": certificate.department,
                "verification_url": url,
                "qr_data_uri": qr_code_data_uri(url),
                "is_revoked": certificate.status == Certificate.Status.REVOKED,
                "permits": permits_of(certificate),  # 一业一证: the permits a licence stands for
            },
        )


def render_certificate_pdf(certificate: Certificate, base_url: str | None = None) -> bytes:
    """The certificate as an A4 PDF (bytes). Fetches nothing from the network or the file system: the page
    is self-contained (the QR code is a data URI, the font comes from fontconfig)."""
    from weasyprint import HTML  # imported here: a heavy import that only renderers need
    from weasyprint.urls import URLFetcher

    html = render_certificate_html(certificate, base_url)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def pdf_file_name(certificate: Certificate) -> str:
    return f"{certificate.number}.pdf"


def store_certificate_pdf(certificate: Certificate, base_url: str | None = None) -> Certificate:
    """Render the certificate's PDF and store it in `certificate.pdf`, unless a stored file exists already.

    Idempotent and safe to run twice at once: the certificate row is locked while rendering, so a second
    runner waits and then finds the file. Returns the certificate as stored (the caller's instance is updated
    too).
    """
    with transaction.atomic():
        locked = Certificate.objects.select_related("enterprise", "project", "department").select_for_update(
            of=("self",)
        )
        current = locked.get(pk=certificate.pk)
        if not (current.pdf and current.pdf.storage.exists(current.pdf.name)):
            content = render_certificate_pdf(current, base_url)
            current.pdf.save(pdf_file_name(current), ContentFile(content), save=False)
            # Only the file pointer changes; the certificate's state is untouched (no .save() of the row).
            Certificate.objects.filter(pk=current.pk).update(pdf=current.pdf.name)
    certificate.pdf = current.pdf
    return current


def certificate_pdf_response(certificate: Certificate):
    """The certificate's PDF as a response (pages and API), rendered now if the background task has not
    stored it yet."""
    from django.http import FileResponse

    if not (certificate.pdf and certificate.pdf.storage.exists(certificate.pdf.name)):
        certificate = store_certificate_pdf(certificate)
    return FileResponse(
        certificate.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=pdf_file_name(certificate),
    )
