"""Pages of bundled approval. For now: the public certificate verification page (电子证照核验) and the
certificate download; the applicant, window and department pages come with the pages issue.

Verification needs no login and shows only what a certificate proves: its validity, name, number, issuing
department, dates, and the holder enterprise and project (public business facts). Never a person's name, a
phone number, an address or a file.

Design for abuse (throttle-friendly): a lookup is one indexed query on a unique column and writes nothing
(no session, no counters), so it costs the same for a hit and a miss and can be served at any rate the
database serves; the code has 128 random bits, so enumerating codes is hopeless even unthrottled, and a
certificate number alone (sequential, guessable) never finds a certificate. Rate limiting, where wanted,
belongs in the reverse proxy in front of `/verify/` (e.g. nginx `limit_req` keyed by client address), which
needs no state here. The pages tell search engines not to index them and browsers not to send the address
(with its code) as a referrer.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from sciencecity.workflow.errors import fetch_in_scope

from ..models import CHECK_LENGTH, Certificate
from ..pdf import certificate_pdf_response
from ..selectors import MAX_CODE_LENGTH, find_certificate, permits_of

# Codes are secrets.token_urlsafe(16): 22 characters of [A-Za-z0-9_-]; the column holds at most 32.


def _public(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


class VerificationForm(forms.Form):
    number = forms.CharField(
        label=_("证照编号"),
        required=False,
        max_length=40,
        help_text=_("印在证照上;填写 8 位短核验码时必填"),
    )
    code = forms.CharField(
        label=_("核验码"),
        max_length=MAX_CODE_LENGTH,
        help_text=_("证照编号旁的 8 位短核验码(如 ABCD-EFGH),或二维码下方的长核验码"),
    )

    def clean(self):
        cleaned_data = super().clean()
        short = (cleaned_data.get("code") or "").replace("-", "").replace(" ", "")
        if short and len(short) == CHECK_LENGTH and not cleaned_data.get("number"):
            self.add_error("number", _("使用 8 位短核验码核验时,请同时填写证照编号。"))
        return cleaned_data


def _not_found(request, form=None):
    response = render(
        request,
        "approvals/verify_not_found.html",
        {"form": form or VerificationForm()},
        status=404,
    )
    return _public(response)


@require_safe
@never_cache
def verify_lookup(request):
    """A form to type the verification code (and optionally the certificate number) printed on a
    certificate, for those who cannot scan its QR code."""
    if not request.GET:
        return _public(render(request, "approvals/verify_lookup.html", {"form": VerificationForm()}))
    form = VerificationForm(request.GET)
    if not form.is_valid():
        return _public(render(request, "approvals/verify_lookup.html", {"form": form}))
    certificate = find_certificate(form.cleaned_data["code"], form.cleaned_data["number"])
    if certificate is None:
        return _not_found(request, form)
    return redirect(reverse("approvals:verify", kwargs={"code": certificate.verification_code}))


@require_safe
@never_cache  # a revocation shows at once
def verify(request, code):
    """The page a certificate's QR code opens: valid or revoked, and the certificate's public facts."""
    certificate = find_certificate(code)
    if certificate is None:
        return _not_found(request)
    response = render(
        request,
        "approvals/verify.html",
        {
            "certificate": certificate,
            "is_valid": certificate.status == Certificate.Status.VALID,
            "permits": permits_of(certificate),  # 一业一证: what an industry licence stands for
        },
    )
    return _public(response)


@require_safe
@login_required
def certificate_pdf(request, pk):
    """Download a certificate's PDF, within the user's scope (404 outside it); rendered now if the background
    task has not stored it yet."""
    certificate = fetch_in_scope(Certificate.objects.for_user(request.user), pk)
    return certificate_pdf_response(certificate)
