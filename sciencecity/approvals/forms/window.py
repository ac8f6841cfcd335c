"""Forms of the window pages (综合窗口): the intake page's verdict per material with its four outcomes, the
rejection note of a supplied gap, and the delivery details.

The forms only shape input; every rule (which materials may be gaps, that a refusal has a reason, that an
application is delivered once) lives in `services.intake` and `services.delivery`, whose `ValidationError`s
the views attach back to these forms.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Delivery, SubmittedMaterial

V = SubmittedMaterial.Verdict

ACCEPT, GAPS, CORRECTION, REFUSE = "accept", "accept_with_gaps", "request_correction", "refuse"
OUTCOMES = (ACCEPT, GAPS, CORRECTION, REFUSE)


class IntakeForm(forms.Form):
    """One row of fields per material the application has or must provide: the verdict, what is wrong (for
    "needs correction") and, only for a material whose items tolerate it as a gap, the due date (for a
    tolerated gap); then what the outcomes need."""

    other_problems = forms.CharField(
        label=_("其他需补正的问题"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("与具体材料无关的问题,每行一项(如表单填写有误)。"),
    )
    note = forms.CharField(
        label=_("补正告知说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label=_("不予受理理由"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("不予受理时必填。"),
    )

    def __init__(self, *args, rows, **kwargs):
        kwargs.setdefault("auto_id", "intake_%s")
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            code, material = row["code"], row["material"]
            choices = [("", _("未审核"))]
            if material is not None:
                choices += [(V.ACCEPTED, _("符合要求")), (V.REJECTED, _("需补正"))]
            tolerated = bool(
                row["entry"] is not None and row["entry"].gap_tolerated and row["entry"].needs_submission
            )
            if tolerated:
                choices.append((V.TOLERATED, _("容缺受理")))
            initial = material.verdict if material is not None and material.verdict != V.PENDING else ""
            if initial not in dict(choices):
                initial = ""
            name = row["spec"].display_name
            self.fields[f"verdict_{code}"] = forms.ChoiceField(
                label=_("“%(material)s”审核意见") % {"material": name},
                choices=choices,
                required=False,
                initial=initial,
            )
            self.fields[f"note_{code}"] = forms.CharField(
                label=_("“%(material)s”存在的问题") % {"material": name},
                required=False,
                max_length=500,
                initial=material.verdict_note if material is not None and initial == V.REJECTED else "",
            )
            if tolerated:
                self.fields[f"due_{code}"] = forms.DateField(
                    label=_("“%(material)s”补交期限") % {"material": name},
                    required=False,
                    initial=material.gap_due_date if material is not None else None,
                    widget=forms.DateInput(attrs={"type": "date"}),
                )

    def row_fields(self):
        """(row, verdict, note, due date) bound fields, in the order of the rows; the due date is None for
        a material that cannot be a tolerated gap."""
        for row in self.rows:
            code = row["code"]
            due = self[f"due_{code}"] if f"due_{code}" in self.fields else None
            yield row, self[f"verdict_{code}"], self[f"note_{code}"], due

    def _chosen(self):
        data = self.cleaned_data
        for row in self.rows:
            code = row["code"]
            yield row, data.get(f"verdict_{code}") or "", (data.get(f"note_{code}") or "").strip()

    def verdicts(self) -> dict:
        """{code: (verdict, note)} for the submitted materials judged accepted or needing correction."""
        return {
            row["code"]: (verdict, note)
            for row, verdict, note in self._chosen()
            if row["material"] is not None and verdict in (V.ACCEPTED, V.REJECTED)
        }

    def gaps(self) -> dict:
        """{code: due date (or None, which the service refuses)} for the materials tolerated as gaps."""
        return {
            row["code"]: self.cleaned_data.get(f"due_{row['code']}")
            for row, verdict, _note in self._chosen()
            if verdict == V.TOLERATED
        }

    def problems(self) -> list[dict]:
        """Every problem of the correction notice: one per material needing correction, then the others."""
        listed = [
            {"material": row["code"], "problem": note}
            for row, verdict, note in self._chosen()
            if verdict == V.REJECTED
        ]
        for line in (self.cleaned_data.get("other_problems") or "").splitlines():
            if line.strip():
                listed.append({"material": "", "problem": line.strip()})
        return listed

    def field_for(self, key: str) -> str | None:
        """The form field that a service error keyed by `key` (a material code or a field) belongs to."""
        if key in self.fields:
            return key
        if f"verdict_{key}" in self.fields:
            return f"verdict_{key}"
        return None


class RejectGapForm(forms.Form):
    note = forms.CharField(label=_("补交材料存在的问题"), max_length=500, required=False)

    def __init__(self, *args, material_pk=None, **kwargs):
        kwargs.setdefault("auto_id", f"gap{material_pk}_%s")
        super().__init__(*args, **kwargs)


class DeliveryForm(forms.Form):
    method = forms.ChoiceField(label=_("出件方式"), choices=Delivery.Method.choices)
    recipient = forms.CharField(
        label=_("领取人/收件人"),
        required=False,
        max_length=100,
        help_text=_("窗口领取时必填。"),
    )
    address = forms.CharField(
        label=_("邮寄地址"), required=False, max_length=300, help_text=_("邮寄时必填。")
    )
    tracking_number = forms.CharField(label=_("快递单号"), required=False, max_length=60)
    note = forms.CharField(label=_("备注"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "delivery_%s")
        super().__init__(*args, **kwargs)
