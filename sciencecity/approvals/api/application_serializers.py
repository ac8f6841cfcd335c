"""Serializers of the applications API: the shapes of input and the presentation of output, no rules.

What an application may become, which materials are needed and whether a file is acceptable is decided by
the services (`sciencecity.approvals.services`); these only check that the request has the right shape.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sciencecity.accounts.scoping import sees_everything
from sciencecity.catalog.api import ItemSerializer, NoticeEntrySerializer
from sciencecity.catalog.models import Bundle, FormField
from sciencecity.projects.models import Project

from .. import target_dates, transitions
from ..models import (
    Application,
    ApplicationItem,
    CorrectionNotice,
    Delivery,
    Rating,
    ReviewTask,
    SubmittedMaterial,
    TaskEvent,
)
from ..services import ratings
from ..services.deadlines import traffic_light

# --- output ----------------------------------------------------------------------------------------------


class ApplicationProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class ApplicationEnterpriseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ApplicationBundleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    version = serializers.IntegerField(source="version_id")


class ApplicationSerializer(serializers.ModelSerializer):
    """An application as lists show it: identity, state and stored dates and deadlines, and its target date
    with the risk of missing it."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    project = ApplicationProjectSerializer(read_only=True)
    enterprise = ApplicationEnterpriseSerializer(read_only=True)
    bundle = ApplicationBundleSerializer(read_only=True)
    target_date_label = serializers.SerializerMethodField(
        help_text="What the bundle calls its target date (e.g. 交地日期); empty when it asks for none"
    )
    target_risk = serializers.SerializerMethodField(
        help_text="Why the target date is at risk: passed, late_deadline or due_soon; empty when on track, "
        "without a target date, or delivered"
    )
    target_risk_display = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "number",
            "status",
            "status_display",
            "project",
            "enterprise",
            "bundle",
            "submission_count",
            "prepared_by",
            "created_at",
            "submitted_at",
            "accepted_at",
            "concluded_at",
            "delivered_at",
            "intake_deadline",
            "intake_deadline_provisional",
            "promised_deadline",
            "promised_deadline_provisional",
            "target_date",
            "target_date_label",
            "target_risk",
            "target_risk_display",
        ]
        read_only_fields = fields

    def get_target_date_label(self, application) -> str:
        return application.bundle.display_target_date_label

    @extend_schema_field(
        serializers.ChoiceField(choices=[("", ""), *target_dates.Risk.choices], allow_blank=True)
    )
    def get_target_risk(self, application) -> str:
        return target_dates.risk_of(application)

    def get_target_risk_display(self, application) -> str:
        return target_dates.risk_label(target_dates.risk_of(application))


class ApplicationItemSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="item.code")
    name = serializers.CharField(source="item.name")
    name_en = serializers.CharField(source="item.name_en")
    department = serializers.CharField(source="item.department.code")
    outcome_display = serializers.CharField(source="get_outcome_display")

    class Meta:
        model = ApplicationItem
        fields = ["code", "name", "name_en", "department", "outcome", "outcome_display"]
        read_only_fields = fields


class ApplicationTaskSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.code")
    department = serializers.CharField(source="department.code")
    status_display = serializers.CharField(source="get_status_display")
    assignee = serializers.SerializerMethodField()
    light = serializers.SerializerMethodField(help_text="green, yellow or red while the task's clock runs")

    class Meta:
        model = ReviewTask
        fields = [
            "id",
            "item",
            "department",
            "status",
            "status_display",
            "assignee",
            "promised_deadline",
            "promised_deadline_provisional",
            "light",
        ]
        read_only_fields = fields

    def get_assignee(self, task) -> str | None:
        """Who handles it; for a department, only in its own tasks (as its task page shows the others)."""
        if not task.assignee_id:
            return None
        user = getattr(self.context.get("request"), "user", None)
        if user is not None and not (
            sees_everything(user)
            or user.has_perm("approvals.intake_application")
            or user.enterprise_id == task.application.enterprise_id
            or user.department_id == task.department_id
        ):
            return None
        return str(task.assignee)

    def get_light(self, task) -> str | None:
        return traffic_light(task, self.context.get("thresholds"))


class ApplicationMaterialSerializer(serializers.ModelSerializer):
    """A material of the application as provided (file, data the platform holds, certificate or pledge)."""

    spec = serializers.CharField(source="spec.code")
    name = serializers.CharField(source="spec.name")
    source_display = serializers.CharField(source="get_source_display")
    verdict_display = serializers.CharField(source="get_verdict_display")
    note = serializers.CharField(source="shown_note")
    file_name = serializers.CharField(source="original_name")
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = SubmittedMaterial
        fields = [
            "id",
            "spec",
            "name",
            "source",
            "source_display",
            "verdict",
            "verdict_display",
            "note",
            "file_name",
            "content_type",
            "size",
            "has_file",
            "data_value",
            "gap_due_date",
            "is_current",
            "uploaded_at",
        ]
        read_only_fields = fields

    def get_has_file(self, material) -> bool:
        return bool(material.file)


class CorrectionProblemSerializer(serializers.Serializer):
    material = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A material code, or empty"
    )
    problem = serializers.CharField(allow_blank=True, max_length=500)


class CorrectionNoticeSerializer(serializers.ModelSerializer):
    problems = CorrectionProblemSerializer(many=True, read_only=True)

    class Meta:
        model = CorrectionNotice
        fields = ["id", "issued_at", "problems", "note", "answered_at"]
        read_only_fields = fields


class ApplicationDeliverySerializer(serializers.ModelSerializer):
    method_display = serializers.CharField(source="get_method_display", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "method",
            "method_display",
            "recipient",
            "address",
            "tracking_number",
            "note",
            "delivered_at",
        ]
        read_only_fields = fields


class RatingProblemSerializer(serializers.Serializer):
    """The problem a poor rating opened (差评整改), followed under /api/v1/problems/."""

    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)


class ApplicationRatingSerializer(serializers.ModelSerializer):
    problem = serializers.SerializerMethodField(help_text="The problem a poor rating (2 or less) opened")

    class Meta:
        model = Rating
        fields = ["id", "score", "comment", "rated_at", "problem"]
        read_only_fields = fields

    @extend_schema_field(RatingProblemSerializer(allow_null=True))
    def get_problem(self, rating):
        problem = ratings.problem_of(rating)
        return None if problem is None else RatingProblemSerializer(problem).data


class ApplicationDetailSerializer(ApplicationSerializer):
    """One application with everything its pages show: answers, form, items, tasks, current materials,
    the open correction notice, the delivery and the rating."""

    form_data = serializers.JSONField(read_only=True)
    answers = serializers.JSONField(read_only=True)
    items = ApplicationItemSerializer(many=True, read_only=True)
    tasks = ApplicationTaskSerializer(many=True, read_only=True)
    materials = serializers.SerializerMethodField()
    correction = serializers.SerializerMethodField(help_text="The open correction notice, if any")
    delivery = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(
        help_text="The actions the caller's role may take in this state (the services check the rest)"
    )

    class Meta(ApplicationSerializer.Meta):
        fields = [
            *ApplicationSerializer.Meta.fields,
            "closed_reason",
            "answers",
            "form_data",
            "items",
            "tasks",
            "materials",
            "correction",
            "delivery",
            "rating",
            "actions",
        ]
        read_only_fields = fields

    @extend_schema_field(ApplicationMaterialSerializer(many=True))
    def get_materials(self, application):
        rows = [row for row in application.materials.all() if row.is_current]
        rows.sort(key=lambda row: row.spec.code)
        return ApplicationMaterialSerializer(rows, many=True).data

    @extend_schema_field(CorrectionNoticeSerializer(allow_null=True))
    def get_correction(self, application):
        if application.status != Application.Status.CORRECTION:
            return None
        notices = [n for n in application.correction_notices.all() if n.answered_at is None]
        notices.sort(key=lambda notice: notice.issued_at, reverse=True)
        return CorrectionNoticeSerializer(notices[0]).data if notices else None

    @extend_schema_field(ApplicationDeliverySerializer(allow_null=True))
    def get_delivery(self, application):
        delivery = getattr(application, "delivery", None)  # the reverse one-to-one: None when not delivered
        if delivery is None:
            return None
        data = ApplicationDeliverySerializer(delivery).data
        request = self.context.get("request")
        user = getattr(request, "user", None)
        own = user is not None and (
            user.has_perm("approvals.deliver_application") or user.enterprise_id == application.enterprise_id
        )
        if not own:
            # Who collected it and where it was posted are for the window and the applicant alone (as on
            # the pages); others see how and when.
            data.update(recipient="", address="", tracking_number="", note="")
        return data

    @extend_schema_field(ApplicationRatingSerializer(allow_null=True))
    def get_rating(self, application):
        try:
            rating = application.rating
        except Rating.DoesNotExist:
            return None
        return ApplicationRatingSerializer(rating).data

    def get_actions(self, application) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return transitions.allowed_actions(application, request.user)


class ApplicationFormEntrySerializer(serializers.Serializer):
    """A field of the merged form with its value: the saved one, else the one prefilled from the registries."""

    code = serializers.CharField()
    label = serializers.CharField(source="field.label")
    label_en = serializers.CharField(source="field.label_en")
    kind = serializers.ChoiceField(source="field.kind", choices=FormField.Kind.choices)
    required = serializers.BooleanField()
    choices = serializers.JSONField(source="field.choices")
    value = serializers.JSONField(allow_null=True)
    prefilled = serializers.BooleanField()
    items = serializers.SerializerMethodField()

    def get_items(self, entry) -> list[str]:
        return [item.code for item in entry.items]


class ApplicationRequirementsSerializer(serializers.Serializer):
    items = ItemSerializer(many=True)
    notice = NoticeEntrySerializer(many=True)
    form = ApplicationFormEntrySerializer(many=True)


class SupplementAnswerEventSerializer(serializers.ModelSerializer):
    """The record of a supplement answered (a task event)."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    materials = serializers.SerializerMethodField()

    class Meta:
        model = TaskEvent
        fields = ["id", "task", "kind", "kind_display", "text", "materials", "created_at"]
        read_only_fields = fields

    def get_materials(self, event) -> list[int]:
        return list(event.data.get("materials", []))


# --- input -------------------------------------------------------------------------------------------------


class StartApplicationSerializer(serializers.Serializer):
    project = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.none(), help_text="A project of the caller's enterprise"
    )
    bundle = serializers.PrimaryKeyRelatedField(
        queryset=Bundle.objects.none(), help_text="A bundle of the catalog version in force"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only rows the caller may see can be named; anything else "does not exist".
            self.fields["project"].queryset = Project.objects.for_user(request.user)
            self.fields["bundle"].queryset = Bundle.objects.for_user(request.user)


class PrepareApplicationSerializer(StartApplicationSerializer):
    """Help-and-do: a project the caller escorts (its enterprise has consented) and a bundle."""

    project = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.none(), help_text="A project whose escort team the caller is on"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ApplicationAnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        help_text='{question code: "yes"/"no", an option value, or a list of values}'
    )


class ApplicationFormSerializer(serializers.Serializer):
    data = serializers.DictField(
        help_text="{field code: value}; only the fields given change, an empty value clears one"
    )


class MaterialUploadSerializer(serializers.Serializer):
    spec_code = serializers.CharField(max_length=60, help_text="The material's code in the catalog")
    file = serializers.FileField(allow_empty_file=True, use_url=False)


class MaterialPledgeSerializer(serializers.Serializer):
    spec_code = serializers.CharField(max_length=60)
    text = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=300, help_text="The pledge's wording"
    )


class WithdrawApplicationSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    expected_status = serializers.ChoiceField(
        choices=Application.Status.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Refuse if the application has meanwhile left this state (like If-Match)",
    )


class CancelApplicationSerializer(WithdrawApplicationSerializer):
    reason = serializers.CharField(max_length=2000)


class RefuseApplicationSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AnswerSupplementSerializer(serializers.Serializer):
    """Documented as a raw multipart schema in the view (files come as file_<material code>)."""

    task = serializers.PrimaryKeyRelatedField(queryset=ReviewTask.objects.none())
    text = serializers.CharField(max_length=5000)

    def __init__(self, *args, tasks=None, **kwargs):
        super().__init__(*args, **kwargs)
        if tasks is not None:
            self.fields["task"].queryset = tasks


# Upload bodies are written out inline so that the schema shows the binary part (and its 413/415 answers).
UPLOAD_MULTIPART = {
    "type": "object",
    "properties": {
        "spec_code": {"type": "string", "maxLength": 60, "description": "The material's code in the catalog"},
        "file": {"type": "string", "format": "binary"},
    },
    "required": ["spec_code", "file"],
}

SUPPLEMENT_MULTIPART = {
    "type": "object",
    "properties": {
        "task": {"type": "integer", "description": "The review task paused for the supplement"},
        "text": {"type": "string", "maxLength": 5000, "description": "The answer"},
    },
    "required": ["task", "text"],
    "additionalProperties": {
        "type": "string",
        "format": "binary",
        "description": "Files as file_<material code>",
    },
}


class RateApplicationSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class MaterialVerdictSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=[SubmittedMaterial.Verdict.ACCEPTED, SubmittedMaterial.Verdict.REJECTED]
    )
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500, help_text="Required when rejected"
    )


class MaterialVerdictsSerializer(serializers.Serializer):
    verdicts = serializers.DictField(child=MaterialVerdictSerializer(), help_text="{material code: verdict}")


class AcceptWithGapsSerializer(serializers.Serializer):
    gaps = serializers.DictField(child=serializers.DateField(), help_text="{material code: due date}")


class RequestCorrectionSerializer(serializers.Serializer):
    problems = CorrectionProblemSerializer(many=True, help_text="Every problem, listed once")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RejectGapSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500)


class TargetDateSerializer(serializers.Serializer):
    target_date = serializers.DateField(
        allow_null=True, help_text="The day every result is delivered on (a working day); null clears it"
    )


class ChangeTargetDateSerializer(serializers.Serializer):
    target_date = serializers.DateField(help_text="The new target date: a working day, not in the past")
    reason = serializers.CharField(max_length=500, help_text="Why it moved (e.g. the seller's notice)")


class DeliverApplicationSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Delivery.Method.choices)
    recipient = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100, help_text="Required at the window"
    )
    address = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=300, help_text="Required by post"
    )
    tracking_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
