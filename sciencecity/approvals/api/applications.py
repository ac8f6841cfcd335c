"""Applications (办件) in the API: the applicant's side (start, answers, form, materials, submit, withdraw,
supplement answers, tolerated gaps supplied, rating), the administrator's cancellation, and the window's
intake, gap follow-up and delivery.

Every row comes through `Application.objects.for_user(user)` (another enterprise's application is a 404), and
every write calls the same service function as the pages (`services.applications`, `services.intake`,
`services.review.answer_supplement`, `services.ratings`, `services.delivery`), which re-lock the application,
check the caller's role and the transition, audit and notify. Nothing here decides a rule.
"""

import uuid

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from sciencecity.api.filters import IdFilter
from sciencecity.api.idempotency import HEADER, PARAMETER, idempotent
from sciencecity.api.views import ScopedViewSet
from sciencecity.workflow.errors import fetch_in_scope

from .. import target_dates
from ..files import material_response
from ..models import Application, ApplicationItem, ReviewTask, SubmittedMaterial
from ..services import applications as application_services
from ..services import delivery as delivery_services
from ..services import help as help_services
from ..services import intake, ratings, review
from ..services import target_dates as target_services
from ..services.deadlines import CLOCK_RUNNING, Thresholds
from . import application_serializers as s

MATERIAL_ID = OpenApiParameter(
    "material_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A material of this application"
)


class AnyMediaRenderer(JSONRenderer):
    """Lets a download be asked for with any Accept header; errors still come as problem JSON."""

    media_type = "*/*"


class ApplicationFilter(filters.FilterSet):
    bundle = filters.CharFilter(field_name="bundle__code", help_text="The bundle's code")
    project = IdFilter(field_name="project_id", help_text="Project id")
    enterprise = IdFilter(field_name="enterprise_id", help_text="Enterprise id")
    at_risk = filters.BooleanFilter(
        method="filter_at_risk",
        help_text="true: only applications at risk of missing their target date (target_risk not empty); "
        "false: only those with a target date that are on track",
    )
    target_date_before = filters.DateFilter(
        field_name="target_date", lookup_expr="lte", help_text="Target date on or before this day"
    )
    target_date_after = filters.DateFilter(
        field_name="target_date", lookup_expr="gte", help_text="Target date on or after this day"
    )

    class Meta:
        model = Application
        fields = ["status", "bundle", "project", "enterprise", "number"]

    def filter_at_risk(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return target_dates.at_risk(queryset)
        return target_dates.with_target(queryset).exclude(pk__in=target_dates.at_risk(queryset).values("pk"))


def _idempotency_key(request) -> str:
    """The caller's Idempotency-Key (the services keep 80 characters), or a fresh one: without a key every
    call is a new attempt."""
    return request.headers.get(HEADER, "").strip() or uuid.uuid4().hex


class ApplicationViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Applications in the caller's scope: an applicant's enterprise's, all for the window and leaders, those
    with a task of theirs for a department."""

    model = Application
    serializer_class = s.ApplicationSerializer
    filterset_class = ApplicationFilter
    ordering_fields = ["created_at", "submitted_at", "id"]
    ordering = ["-created_at", "-id"]

    def scope(self, queryset):
        queryset = target_dates.annotate_risk(queryset.select_related("project", "enterprise", "bundle"))
        if self.action == "retrieve":
            queryset = self.with_details(queryset)
        return queryset

    @staticmethod
    def with_details(queryset):
        """What the detail shows, in a fixed number of queries whatever the number of rows."""
        return queryset.select_related("delivery", "rating").prefetch_related(
            Prefetch(
                "items",
                queryset=ApplicationItem.objects.select_related("item__department").order_by("id"),
            ),
            Prefetch(
                "tasks",
                queryset=ReviewTask.objects.select_related("item", "department", "assignee").order_by(
                    "department__name", "item__code", "id"
                ),
            ),
            Prefetch(
                "materials",
                queryset=SubmittedMaterial.objects.filter(is_current=True).select_related("spec"),
            ),
            "correction_notices",
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if "submitted_at" in self.request.query_params.get("ordering", ""):
            # A cursor needs a value in every row: ordered by submission, drafts never submitted are left out.
            queryset = queryset.filter(submitted_at__isnull=False)
        return queryset

    def get_serializer_class(self):
        return s.ApplicationDetailSerializer if self.action == "retrieve" else s.ApplicationSerializer

    # --- helpers -------------------------------------------------------------------------------------------

    def _detail(self, application, status_code=status.HTTP_200_OK):
        """The application as it now stands (re-read with its details), in the detail shape."""
        application = self.with_details(
            target_dates.annotate_risk(Application.objects.select_related("project", "enterprise", "bundle"))
        ).get(pk=application.pk)
        running = any(task.status in CLOCK_RUNNING for task in application.tasks.all())
        context = {**self.get_serializer_context(), "thresholds": Thresholds.on() if running else None}
        return Response(s.ApplicationDetailSerializer(application, context=context).data, status=status_code)

    def _input(self, serializer_class, **kwargs):
        data = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def _material(self, application, material_id):
        return fetch_in_scope(SubmittedMaterial.objects.filter(application=application), material_id)

    @staticmethod
    def _created(serializer_class, instance):
        return Response(serializer_class(instance).data, status=status.HTTP_201_CREATED)

    # --- reading -------------------------------------------------------------------------------------------

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "ordering",
                OpenApiTypes.STR,
                enum=["created_at", "-created_at", "submitted_at", "-submitted_at", "id", "-id"],
                description="Default -created_at; by submitted_at only applications ever submitted are listed",
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        """Applications in the caller's scope, newest first, a cursor page at a time (never counted)."""
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        application = self.get_object()
        running = any(task.status in CLOCK_RUNNING for task in application.tasks.all())
        context = {**self.get_serializer_context(), "thresholds": Thresholds.on() if running else None}
        return Response(s.ApplicationDetailSerializer(application, context=context).data)

    @extend_schema(responses=s.ApplicationRequirementsSerializer)
    @action(detail=True, methods=["get"])
    def requirements(self, request, pk=None):
        """The items the answers select, the complete notice of materials (一次告知) and the merged form
        (一张表单) with saved or prefilled values, as the application stands."""
        application = self.get_object()
        items, notice, form = application_services.requirements(application, complete=False)
        body = {"items": items, "notice": notice, "form": form}
        return Response(s.ApplicationRequirementsSerializer(body).data)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
        parameters=[MATERIAL_ID],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"materials/(?P<material_id>[0-9]+)/file",
        url_name="material-file",
        renderer_classes=[JSONRenderer, AnyMediaRenderer],
    )
    def material_file(self, request, pk=None, material_id=None):
        """A submitted material's file, for anyone who can see the application (any of its history)."""
        material = self._material(self.get_object(), material_id)
        return material_response(material)

    # --- the applicant: start and fill in ----------------------------------------------------------------

    @extend_schema(request=s.StartApplicationSerializer, responses={201: s.ApplicationDetailSerializer})
    @idempotent
    def create(self, request):
        """Start a draft for a project of the caller's enterprise and a bundle of the catalog in force."""
        data = self._input(s.StartApplicationSerializer)
        application = application_services.start_application(
            request.user, data["project"], data["bundle"], idempotency_key=_idempotency_key(request)
        )
        return self._detail(application, status.HTTP_201_CREATED)

    @extend_schema(request=s.PrepareApplicationSerializer, responses={201: s.ApplicationDetailSerializer})
    @idempotent
    @action(detail=False, methods=["post"])
    def prepare(self, request):
        """Help-and-do (帮办代办): an escort specialist prepares a draft for a project whose enterprise has
        consented; the enterprise's applicant is notified, reviews it and submits it itself."""
        data = self._input(s.PrepareApplicationSerializer)
        application = help_services.prepare_application(
            request.user,
            data["project"],
            data["bundle"],
            note=data["note"],
            idempotency_key=_idempotency_key(request)[:60],
        )
        return self._detail(application, status.HTTP_201_CREATED)

    @extend_schema(request=s.ApplicationAnswersSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["put"])
    def answers(self, request, pk=None):
        """Save the answers to the situation questions (a draft, or during correction)."""
        application = self.get_object()
        data = self._input(s.ApplicationAnswersSerializer)
        application = application_services.save_answers(request.user, application, data["answers"])
        return self._detail(application)

    @extend_schema(request=s.ApplicationFormSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["put"])
    def form(self, request, pk=None):
        """Save values of the merged form; only the fields given change."""
        application = self.get_object()
        data = self._input(s.ApplicationFormSerializer)
        application = application_services.save_form(request.user, application, data["data"])
        return self._detail(application)

    @extend_schema(request=s.TargetDateSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["put"], url_path="target-date")
    def target_date(self, request, pk=None):
        """Name the target date of a draft (or during correction) for a bundle that asks for one (e.g. the
        land handover day); null clears it. It must be a working day the bundle's limits can keep."""
        application = self.get_object()
        data = self._input(s.TargetDateSerializer)
        application = target_services.set_target_date(request.user, application, data["target_date"])
        return self._detail(application)

    @extend_schema(
        request={"multipart/form-data": s.UPLOAD_MULTIPART},
        responses={201: s.ApplicationMaterialSerializer},
    )
    @idempotent
    @action(detail=True, methods=["post"])
    def materials(self, request, pk=None):
        """Upload a file for a material (a draft, or during correction); it replaces the current one."""
        application = self.get_object()
        data = self._input(s.MaterialUploadSerializer)
        material = application_services.upload_material(
            request.user, application, data["spec_code"], data["file"]
        )
        return self._created(s.ApplicationMaterialSerializer, material)

    @extend_schema(request=s.MaterialPledgeSerializer, responses={201: s.ApplicationMaterialSerializer})
    @idempotent
    @action(detail=True, methods=["post"])
    def pledges(self, request, pk=None):
        """Provide a material by a pledge (告知承诺) where every item requiring it accepts one."""
        application = self.get_object()
        data = self._input(s.MaterialPledgeSerializer)
        material = application_services.pledge_material(
            request.user, application, data["spec_code"], data["text"]
        )
        return self._created(s.ApplicationMaterialSerializer, material)

    @extend_schema(request=None, responses=s.ApplicationDetailSerializer, parameters=[PARAMETER])
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit a draft, or resubmit after correction. With the same Idempotency-Key a retry changes
        nothing; each resubmission after correction needs a new key."""
        application = self.get_object()
        application = application_services.submit_application(
            request.user, application, idempotency_key=_idempotency_key(request)
        )
        return self._detail(application)

    @extend_schema(request=s.WithdrawApplicationSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The applicant withdraws before conclusion; open review tasks are cancelled."""
        application = self.get_object()
        data = self._input(s.WithdrawApplicationSerializer)
        application = application_services.withdraw_application(
            request.user, application, data["reason"], expected_status=data["expected_status"]
        )
        return self._detail(application)

    @extend_schema(request=s.CancelApplicationSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """An administrator cancels (作废) an application before conclusion, with a reason."""
        application = self.get_object()
        data = self._input(s.CancelApplicationSerializer)
        application = application_services.cancel_application(
            request.user, application, data["reason"], expected_status=data["expected_status"]
        )
        return self._detail(application)

    @extend_schema(
        request={"multipart/form-data": s.SUPPLEMENT_MULTIPART},
        responses={201: s.SupplementAnswerEventSerializer},
    )
    @idempotent
    @action(detail=True, methods=["post"], url_path="supplement-answers")
    def supplement_answers(self, request, pk=None):
        """Answer a department's supplement request, with files for materials as file_<material code>."""
        application = self.get_object()
        tasks = ReviewTask.objects.for_user(request.user).filter(application=application)
        data = self._input(s.AnswerSupplementSerializer, tasks=tasks)
        files = {
            name.removeprefix("file_"): uploaded
            for name, uploaded in request.FILES.items()
            if name.startswith("file_")
        }
        event = review.answer_supplement(request.user, data["task"], data["text"], files)
        return self._created(s.SupplementAnswerEventSerializer, event)

    @extend_schema(
        request={"multipart/form-data": s.UPLOAD_MULTIPART},
        responses={201: s.ApplicationMaterialSerializer},
    )
    @idempotent
    @action(detail=True, methods=["post"], url_path="gap-materials")
    def gap_materials(self, request, pk=None):
        """Supply a material accepted as a tolerated gap (容缺), or supply it again after the window
        found it wanting."""
        application = self.get_object()
        data = self._input(s.MaterialUploadSerializer)
        material = intake.supply_tolerated_material(
            request.user, application, data["spec_code"], data["file"]
        )
        return self._created(s.ApplicationMaterialSerializer, material)

    @extend_schema(request=s.RateApplicationSerializer, responses={201: s.ApplicationRatingSerializer})
    @idempotent
    @action(detail=True, methods=["post"])
    def rating(self, request, pk=None):
        """Rate a concluded application once (好差评); 2 or less opens a follow-up."""
        application = self.get_object()
        data = self._input(s.RateApplicationSerializer)
        rating = ratings.rate_application(request.user, application, data["score"], data["comment"])
        return self._created(s.ApplicationRatingSerializer, rating)

    # --- the window: intake --------------------------------------------------------------------------------

    @extend_schema(request=s.MaterialVerdictsSerializer, responses=s.ApplicationMaterialSerializer(many=True))
    @idempotent
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def verdicts(self, request, pk=None):
        """The window's verdict on submitted materials; materials not named keep theirs."""
        application = self.get_object()
        data = self._input(s.MaterialVerdictsSerializer)
        verdicts = {code: (row["verdict"], row["note"]) for code, row in data["verdicts"].items()}
        materials = intake.record_verdicts(request.user, application, verdicts)
        return Response(s.ApplicationMaterialSerializer(materials, many=True).data)

    @extend_schema(request=None, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept (受理): every material the applicant had to provide is accepted; review tasks begin."""
        application = intake.accept_application(request.user, self.get_object())
        return self._detail(application)

    @extend_schema(request=s.AcceptWithGapsSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="accept-with-gaps")
    def accept_with_gaps(self, request, pk=None):
        """Accept with tolerated gaps (容缺受理), each due by its date."""
        application = self.get_object()
        data = self._input(s.AcceptWithGapsSerializer)
        application = intake.accept_with_gaps(request.user, application, data["gaps"])
        return self._detail(application)

    @extend_schema(request=s.RequestCorrectionSerializer, responses={201: s.CorrectionNoticeSerializer})
    @idempotent
    @action(detail=True, methods=["post"])
    def correction(self, request, pk=None):
        """One correction notice (一次性告知) listing every problem; the application returns to the applicant."""
        application = self.get_object()
        data = self._input(s.RequestCorrectionSerializer)
        notice = intake.request_correction(request.user, application, data["problems"], data["note"])
        return self._created(s.CorrectionNoticeSerializer, notice)

    @extend_schema(request=s.RefuseApplicationSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        """Refuse to accept (不予受理), with a reason."""
        application = self.get_object()
        data = self._input(s.RefuseApplicationSerializer)
        application = intake.refuse_application(request.user, application, data["reason"])
        return self._detail(application)

    @extend_schema(request=None, responses=s.ApplicationMaterialSerializer, parameters=[MATERIAL_ID])
    @action(detail=True, methods=["post"], url_path=r"gap-materials/(?P<material_id>[0-9]+)/accept")
    def accept_gap(self, request, pk=None, material_id=None):
        """The window accepts a supplied gap; when nothing else is awaited the application concludes."""
        material = self._material(self.get_object(), material_id)
        material = intake.accept_supplied_gap(request.user, material)
        return Response(s.ApplicationMaterialSerializer(material).data)

    @extend_schema(
        request=s.RejectGapSerializer, responses=s.ApplicationMaterialSerializer, parameters=[MATERIAL_ID]
    )
    @action(detail=True, methods=["post"], url_path=r"gap-materials/(?P<material_id>[0-9]+)/reject")
    def reject_gap(self, request, pk=None, material_id=None):
        """The window finds a supplied gap wanting: the applicant supplies it again."""
        material = self._material(self.get_object(), material_id)
        data = self._input(s.RejectGapSerializer)
        material = intake.reject_supplied_gap(request.user, material, data["note"])
        return Response(s.ApplicationMaterialSerializer(material).data)

    @extend_schema(request=s.ChangeTargetDateSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="target-date-change")
    def target_date_change(self, request, pk=None):
        """The window moves the target date (the handover moved), with the reason; the applicant and the
        reviewers of the open tasks are told. The new date may be earlier than the deadlines: the
        application then shows as at risk (`target_risk`)."""
        application = self.get_object()
        data = self._input(s.ChangeTargetDateSerializer)
        application = target_services.change_target_date(
            request.user, application, data["target_date"], data["reason"]
        )
        return self._detail(application)

    @extend_schema(request=s.DeliverApplicationSerializer, responses={201: s.ApplicationDeliverySerializer})
    @idempotent
    @action(detail=True, methods=["post"])
    def delivery(self, request, pk=None):
        """Deliver every result of a concluded application at once (统一出件), once."""
        application = self.get_object()
        data = self._input(s.DeliverApplicationSerializer)
        delivery = delivery_services.deliver_application(request.user, application, **data)
        return self._created(s.ApplicationDeliverySerializer, delivery)


routes = [("applications", ApplicationViewSet, "application")]
