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
from .certificates import enqueue_renders, issue_industry_licence, item_of, shown_name


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


def _refuse_before_target_date(application) -> None:
    """An application with a target date (交地即领证: the land handover day) is delivered on that day, all its
    results together, not before: if the day moved earlier, the window moves the date first."""
    day = clock.today()
    if application.target_date is not None and day < application.target_date:
        raise transitions.IllegalTransition(
            application,
            "deliver",
            _(
                "本办件约定于%(label)s %(date)s 统一出件,今天(%(today)s)不能提前出件;如日期提前,请先调整%(label)s。"
            )
            % {
                "label": application.bundle.display_target_date_label,
                "date": application.target_date.isoformat(),
                "today": day.isoformat(),
            },
        )


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

    A bundle that issues an industry licence (一业一证) has it issued here, listing the permits granted
    (`certificates.issue_industry_licence`), and delivered with the rest.

    An application with a target date is delivered on that day or later (`_refuse_before_target_date`).
    Electronic delivery needs nothing more (the applicant downloads the certificates); post needs an address;
    collection at the window needs the name of who collected. Exactly one delivery per application: the row
    lock serialises concurrent attempts and the second one finds the application delivered already
    (IllegalTransition, HTTP 409).
    """
    recipient, address = recipient.strip(), address.strip()
    tracking_number, note = tracking_number.strip(), note.strip()
    with transaction.atomic():
        application = (
            Application.objects.select_related("applicant", "bundle")
            .select_for_update(of=("self",))
            .get(pk=application.pk)
        )
        before, after = transitions.apply(application, "deliver", clerk)
        _refuse_before_target_date(application)
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
        # 一业一证: the bundle's industry licence is issued now, with the results it stands for.
        licence = issue_industry_licence(clerk, application)
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
                f"{shown_name(certificate, item_of(certificate))}({certificate.number})"
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
        # (The licence issued just now has its rendering queued already.)
        enqueue_renders(
            [
                certificate.pk
                for certificate in certificates
                if not certificate.pdf and (licence is None or certificate.pk != licence.pk)
            ]
        )
    return delivery
