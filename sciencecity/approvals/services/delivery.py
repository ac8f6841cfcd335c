"""Unified delivery (窗口统一出件): the window hands over every result of a concluded application at once."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.i18n import join_list
from sciencecity.notifications.services import notify
from sciencecity.workdays import clock

from .. import transitions
from ..models import Application, Delivery
from .certificates import enqueue_renders, shown_name


def _check_delivery_details(method: str, recipient: str, address: str) -> None:
    if method not in Delivery.Method.values:
        raise ValidationError(
            _("未知的出件方式“%(method)s”。可选:%(choices)s。")
            % {"method": method, "choices": join_list(str(label) for label in Delivery.Method.labels)}
        )
    errors = {}
    if method == Delivery.Method.POST and not address:
        errors["address"] = _("邮寄出件必须填写邮寄地址。")
    if method == Delivery.Method.WINDOW and not recipient:
        errors["recipient"] = _("窗口领取必须填写领取人。")
    if errors:
        raise ValidationError(errors)


def deliver_application(
    clerk,
    application: Application,
    *,
    method: str,
    recipient: str = "",
    address: str = "",
    tracking_number: str = "",
    note: str = "",
) -> Delivery:
    """Deliver all results of a concluded application together (concluded → delivered) and record how.

    Electronic delivery needs nothing more (the applicant downloads the certificates); post needs an address;
    collection at the window needs the name of who collected. Exactly one delivery per application: the row
    lock serialises concurrent attempts and the second one finds the application delivered already
    (IllegalTransition, HTTP 409).
    """
    recipient, address = recipient.strip(), address.strip()
    tracking_number, note = tracking_number.strip(), note.strip()
    with transaction.atomic():
        application = (
            Application.objects.select_related("applicant")
            .select_for_update(of=("self",))
            .get(pk=application.pk)
        )
        before, after = transitions.apply(application, "deliver", clerk)
        _check_delivery_details(method, recipient, address)
        now = clock.now()
        application.delivered_at = now
        application.save(update_fields=["status", "delivered_at", "updated_at"])
        delivery = Delivery.objects.create(
            application=application,
            method=method,
            recipient=recipient,
            address=address,
            tracking_number=tracking_number,
            note=note,
            delivered_by=clerk,
        )
        certificates = list(application.certificates.valid().select_related("task__item").order_by("number"))
        record(
            clerk,
            "approvals.deliver_application",
            application,
            before={"status": before},
            after={
                "status": after,
                "method": method,
                "delivery": delivery.pk,
                "certificates": [certificate.number for certificate in certificates],
            },
        )

        def compose():
            if not certificates:
                body = _("办件 %(number)s 的办理结果已出件(%(method)s)。") % {
                    "number": application.number,
                    "method": delivery.get_method_display(),
                }
                return _("证照已送达"), body
            listed = join_list(
                f"{shown_name(certificate, certificate.task.item)}({certificate.number})"
                for certificate in certificates
            )
            body = _("办件 %(number)s 的办理结果已出件(%(method)s):%(certificates)s。") % {
                "number": application.number,
                "method": delivery.get_method_display(),
                "certificates": listed,
            }
            return _("证照已送达"), body

        notify(
            [application.applicant],
            "delivered",
            compose,
            about=application,
            dedupe_key=f"delivered:{application.pk}",
        )
        # Every certificate delivered has its PDF ready to download (idempotent when rendered already).
        enqueue_renders([certificate.pk for certificate in certificates if not certificate.pdf])
    return delivery
