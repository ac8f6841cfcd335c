"""Forms of the enterprise portal: registering a project, starting an application, the situation questions,
the merged form, the service rating and the withdrawal.

The forms only shape input; every rule lives in the services (`projects.services`, `services.applications`,
`services.review`, `services.ratings`), whose `ValidationError`s the views attach back to these forms.
Each form has its own id prefix, so that on a page with several forms every label points at its input.
"""

import uuid

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sciencecity.catalog.models import FormField, SituationQuestion
from sciencecity.choices import ListedChoiceIterator
from sciencecity.projects.models import Project

from ..services.ratings import MAX_SCORE, MIN_SCORE

YES, NO = "yes", "no"


def new_key() -> str:
    """A fresh idempotency key for a form that starts or submits something."""
    return uuid.uuid4().hex


def _english() -> bool:
    return (get_language() or "").startswith("en")


class _PrefixedForm(forms.Form):
    id_prefix = "portal"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


# --- projects ------------------------------------------------------------------------------------------


class ProjectForm(forms.ModelForm):
    """The fields an enterprise gives when it registers a project (key projects are designated by the zone)."""

    class Meta:
        model = Project
        fields = [
            "code",
            "name",
            "investment_type",
            "total_investment",
            "land_area",
            "floor_area",
            "location",
            "phase",
        ]
        help_texts = {"code": _("投资项目统一代码,如 2026-500106-47-01-000001")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "project_%s")
        super().__init__(*args, **kwargs)


# --- starting an application -------------------------------------------------------------------------------


class StartForm(_PrefixedForm):
    id_prefix = "start"
    project = forms.ModelChoiceField(label=_("项目"), queryset=Project.objects.none(), empty_label=None)
    bundle = forms.ModelChoiceField(label=_("一件事"), queryset=None, empty_label=None)
    project.iterator = bundle.iterator = ListedChoiceIterator
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, projects, bundles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["project"].widget.attrs["data-user-text"] = ""  # project names and codes as entered
        self.fields["bundle"].queryset = bundles
        self.fields["bundle"].label_from_instance = lambda bundle: bundle.display_name
        if not self.is_bound:
            self.initial.setdefault("key", new_key())


# --- the situation questions ---------------------------------------------------------------------------


def question_choices(question: SituationQuestion) -> list[tuple[str, str]]:
    if question.kind == SituationQuestion.Kind.YES_NO:
        return [(YES, _("是")), (NO, _("否"))]
    english = _english()
    return [
        (
            str(option["value"]),
            str((english and option.get("label_en")) or option.get("label") or option["value"]),
        )
        for option in question.options
    ]


class AnswersForm(_PrefixedForm):
    """One field per situation question of the bundle, named by the question's code; none is required for a
    draft (the service asks for what a rule needs at submission)."""

    id_prefix = "answers"

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        for question in questions:
            common = {
                "label": question.display_text,
                "required": False,
                "choices": question_choices(question),
                "help_text": question.display_help_text,
            }
            if question.kind == SituationQuestion.Kind.MULTIPLE:
                field = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, **common)
            else:
                field = forms.ChoiceField(widget=forms.RadioSelect, **common)
            self.fields[question.code] = field

    def answers(self) -> dict:
        """The answered questions only (an empty answer is no answer)."""
        return {code: value for code, value in self.cleaned_data.items() if value not in ("", [], None)}


# --- the merged form -------------------------------------------------------------------------------------


def _form_value(kind, value):
    """A stored form value as its input shows it."""
    if value is None:
        return ""
    if kind == FormField.Kind.BOOLEAN:
        return YES if value is True else NO if value is False else str(value)
    return str(value)


class MergedForm(_PrefixedForm):
    """The bundle's merged form (一张表单) for the selected items, pre-filled with what is saved or what the
    platform holds. Fields take text; `services.applications.save_form` checks each by its kind."""

    id_prefix = "form"

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = {entry.code: entry for entry in entries}
        K = FormField.Kind
        english = _english()
        for entry in entries:
            form_field = entry.field
            help_text = _("已根据平台信息预填,请核对") if entry.prefilled else ""
            common = {"label": form_field.display_label, "required": False, "help_text": help_text}
            if form_field.kind == K.CHOICE:
                choices = [("", "—")] + [
                    (
                        str(choice["value"]),
                        str((english and choice.get("label_en")) or choice.get("label") or choice["value"]),
                    )
                    for choice in form_field.choices
                ]
                field = forms.ChoiceField(choices=choices, **common)
            elif form_field.kind == K.BOOLEAN:
                field = forms.ChoiceField(choices=[("", "—"), (YES, _("是")), (NO, _("否"))], **common)
            elif form_field.kind == K.TEXTAREA:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
            elif form_field.kind == K.DATE:
                field = forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
            elif form_field.kind in (K.NUMBER, K.DECIMAL):
                field = forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
            else:
                field = forms.CharField(**common)
            field.required_by_catalog = form_field.required
            self.fields[entry.code] = field
            self.initial.setdefault(entry.code, _form_value(form_field.kind, entry.value))

    def changes(self, saved: dict) -> dict:
        """What to hand to `save_form`: every filled field, and an emptied field that had a saved value (a
        field never filled is left out, so that a draft is saved without it)."""
        data = {}
        for code, value in self.cleaned_data.items():
            text = (value or "").strip() if isinstance(value, str) else value
            if text in ("", None):
                if code in saved:
                    data[code] = ""
                continue
            if self.entries[code].field.kind == FormField.Kind.BOOLEAN:
                text = text == YES
            data[code] = text
        return data


# --- after submission --------------------------------------------------------------------------------------


class SubmitForm(_PrefixedForm):
    id_prefix = "submit"
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)


class CorrectionForm(_PrefixedForm):
    id_prefix = "correction"
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)


class SupplementAnswerForm(forms.Form):
    text = forms.CharField(label=_("补充说明"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args, task_pk, **kwargs):
        kwargs.setdefault("auto_id", f"supplement{task_pk}_%s")
        super().__init__(*args, **kwargs)


class RatingForm(_PrefixedForm):
    id_prefix = "rating"
    score = forms.TypedChoiceField(
        label=_("评分"),
        choices=[(str(n), str(n)) for n in range(MAX_SCORE, MIN_SCORE - 1, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("5 分为非常满意,1 分为非常不满意"),
    )
    comment = forms.CharField(
        label=_("评价内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class WithdrawForm(_PrefixedForm):
    """The confirmation of a withdrawal: the reason is asked for (it is recorded and shown to the window and
    the departments), and the state the page showed, so that a withdrawal racing a change is refused."""

    id_prefix = "withdraw"
    reason = forms.CharField(
        label=_("撤回原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("请说明撤回的原因,如项目调整、材料需重新准备等。"),
    )
    expected_status = forms.CharField(widget=forms.HiddenInput, max_length=20)
