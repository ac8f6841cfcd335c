"""The problem pages: reporting (on a phone too, without an account), the dispatch centre's queue, the
department's worklist, the problem's page with its timeline, photos, map and the actions its reader may take,
the reporter's own problems and the public follow-up page by code, the statistics and the 散乱污 ledger.

Every problem is read through `Problem.objects.for_user()` (another department's problem answers 404); every
change goes through `services.lifecycle`, whose refusals come back as messages or form errors, never as a
server error.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import include, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sciencecity.accounts.models import Department
from sciencecity.audit.models import AuditEvent
from sciencecity.workdays import clock
from sciencecity.workflow.errors import ACTION_REFUSALS, fetch_in_scope, refusal_message
from sciencecity.workflow.paging import page_of, rows_or_page

from . import exports, geo, selectors
from .forms import (
    DispatchForm,
    FilterForm,
    FollowForm,
    LongTermForm,
    MergeForm,
    NoteForm,
    RateForm,
    ReportForm,
    SplitForm,
    VerifyForm,
)
from .models import Problem, ProblemPhoto
from .rivers import views as river_views
from .services import lifecycle
from .services.deadlines import warn_until
from .transitions import PROBLEM_TRANSITIONS, step_name

app_name = "problems"
PAGE_SIZE = 25
S = Problem.Status


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def anonymous_reports_within_hour(ip: str) -> int:
    """Reports made without an account from `ip` in the last hour, read from the audit trail (the audit
    action index bounds the read to the last hour's reports)."""
    since = clock.now() - datetime.timedelta(hours=1)
    return AuditEvent.objects.filter(
        action="problems.report", actor__isnull=True, created_at__gte=since, ip_address=ip
    ).count()


def _area_labels() -> dict:
    return {area.code: geo.area_label(area) for area in geo.areas()}


def _department_labels() -> dict:
    return {d.pk: d.display_name for d in Department.objects.all()}


def _with_lights(rows):
    today = clock.today()
    until = warn_until(today)
    for problem in rows:
        problem.traffic_light = problem.light(today, until)
    return rows


# -- reporting -------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def report(request):
    """The report form: a phone's camera and position, or a point tapped on the map."""
    user = request.user
    anonymous = not user.is_authenticated
    staff = not anonymous and lifecycle.is_staff_reporter(user)
    form = ReportForm(
        request.POST or None,
        request.FILES or None,
        staff=staff,
        anonymous=anonymous,
        initial={key: request.GET[key] for key in ("source", "section") if request.GET.get(key)},
    )
    if request.method == "POST" and form.is_valid():
        limit = settings.PROBLEM_ANONYMOUS_REPORTS_PER_HOUR
        if anonymous and anonymous_reports_within_hour(_client_ip(request)) >= limit:
            form.add_error(None, _("您提交得太频繁了,请一小时后再试,或登录后报告。"))
            return render(request, "problems/report.html", {"form": form}, status=429)
        data = form.cleaned_data
        source = data.get("source") or (
            Problem.Source.ENTERPRISE_DEMAND
            if not anonymous and user.enterprise_id and not staff
            else Problem.Source.CITIZEN
        )
        report_data = lifecycle.Report(
            category=data["category"],
            title=data["title"],
            description=data["description"],
            source=source,
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            address=data.get("address") or "",
            enterprise=user.enterprise if not anonymous and user.enterprise_id else None,
            reporter_name=data.get("reporter_name") or "",
            reporter_phone=data.get("reporter_phone") or "",
            section=data.get("section"),
        )
        try:
            problem = lifecycle.report_problem(user, report_data, data.get("photos") or [])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if anonymous:
                request.session["problem_codes"] = [
                    *request.session.get("problem_codes", [])[-9:],
                    problem.follow_up_code,
                ]
                return redirect(f"{reverse('problems:follow')}?code={problem.follow_up_code}&new=1")
            messages.success(request, _("问题 %(number)s 已提交。") % {"number": problem.number})
            return redirect("problems:detail", pk=problem.pk)
    return render(request, "problems/report.html", {"form": form}, status=400 if form.errors else 200)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# -- lists -----------------------------------------------------------------------------------------------


def _list(request, queryset_for, *, title, template="problems/list.html", hide=(), mode="all"):
    form = FilterForm(request.GET or None, hide=hide)
    f = form.problem_filter() if request.GET else selectors.ProblemFilter()
    queryset = queryset_for(request.user, f)
    page = page_of(request, queryset, PAGE_SIZE)
    _with_lights(page["rows"])
    context = {"form": form, "title": title, "mode": mode, **page, "clear_url": request.path}
    return rows_or_page(request, "problems/_results.html", template, context)


@login_required
@permission_required("problems.view_problem", raise_exception=True)
@require_safe
def problem_list(request):
    return _list(request, selectors.problems_for, title=_("全部问题"))


@login_required
@permission_required("problems.dispatch_problem", raise_exception=True)
@require_safe
def queue(request):
    return _list(
        request,
        selectors.dispatch_queue,
        title=_("指挥中心待派遣"),
        hide=("status", "light", "department"),
        mode="queue",
    )


@login_required
@permission_required("problems.handle_problem", raise_exception=True)
@require_safe
def worklist(request):
    if not request.user.department_id:
        raise PermissionDenied(_("您的账号未关联部门。"))

    def rows(user, f):
        if not request.GET:
            f.status = "open"
        return selectors.worklist(user, f)

    return _list(request, rows, title=_("部门问题办理"), hide=("department",), mode="worklist")


@login_required
@require_safe
def mine(request):
    def rows(user, f):
        return selectors.with_related(selectors.filtered(Problem.objects.filter(reporter=user), f))

    return _list(request, rows, title=_("我报告的问题"), hide=("department", "light", "source"), mode="mine")


# -- one problem -----------------------------------------------------------------------------------------


def _timeline(problem):
    events = list(problem.events.select_related("actor", "department").prefetch_related("photos"))
    for event in events:
        event.name = step_name(event.action)
        event.status_label = (
            S(event.status_after).label if event.status_after in S.values else event.status_after
        )
    return events


def _action_forms(request, problem) -> dict:
    """The forms of the actions this reader may take now (by the table and the service's own rules)."""
    user = request.user
    allowed = set(PROBLEM_TRANSITIONS.allowed_actions(problem, user))
    in_department = user.department_id is not None and user.department_id == problem.department_id
    forms = {}
    if allowed & {"dispatch"}:
        forms["dispatch"] = DispatchForm(prefix="dispatch")
    if "merge" in allowed:
        forms["merge"] = MergeForm(prefix="merge")
    if "split" in allowed:
        forms["split"] = SplitForm(prefix="split")
    if "dismiss" in allowed:
        forms["dismiss"] = NoteForm(prefix="dismiss")
    if in_department:
        for action in ("accept", "return", "progress", "rectify"):
            if action in allowed:
                forms[action] = NoteForm(prefix=action)
        if "plan_long_term" in allowed:
            forms["plan_long_term"] = LongTermForm(prefix="plan_long_term")
    if problem.status == S.RECTIFIED and lifecycle.may_verify(user, problem):
        forms["verify"] = VerifyForm(prefix="verify")
    is_reporter = user.pk == problem.reporter_id
    if is_reporter and problem.status == S.CLOSED:
        forms["reopen"] = NoteForm(prefix="reopen")
        forms["rate"] = RateForm(prefix="rate")
    return forms


def _problem_context(request, problem, **extra) -> dict:
    today = clock.today()
    return {
        "problem": problem,
        "light": problem.light(today, warn_until(today)),
        "timeline": _timeline(problem),
        "photos": list(problem.photos.filter(kind=ProblemPhoto.Kind.REPORT)),
        "children": list(problem.children.select_related("department")),
        "duplicates": list(problem.duplicates.all()),
        "action_forms": _action_forms(request, problem),
        "area_label": _area_labels().get(problem.area, ""),
        "points": _points([problem]),
        **extra,
    }


def _points(problems) -> list:
    return [
        {
            "id": p.pk,
            "lat": float(p.latitude),
            "lon": float(p.longitude),
            "status": p.status,
            "status_label": p.get_status_display(),
            "title": f"{p.number} {p.title}",
            "url": reverse("problems:detail", args=[p.pk]),
        }
        for p in problems
        if p.latitude is not None
    ]


def _scoped(request, pk):
    return fetch_in_scope(
        Problem.objects.for_user(request.user).select_related(
            "category",
            "department",
            "enterprise",
            "project",
            "reporter",
            "merged_into",
            "parent",
            "section__river",
        ),
        pk,
    )


@login_required
@require_safe
def detail(request, pk):
    problem = _scoped(request, pk)
    return render(request, "problems/detail.html", _problem_context(request, problem))


ACTION_FORMS = {
    "dispatch": DispatchForm,
    "merge": MergeForm,
    "split": SplitForm,
    "dismiss": NoteForm,
    "accept": NoteForm,
    "return": NoteForm,
    "progress": NoteForm,
    "rectify": NoteForm,
    "plan_long_term": LongTermForm,
    "verify": VerifyForm,
    "reopen": NoteForm,
    "rate": RateForm,
}


def _perform(request, problem, action, data):
    user = request.user
    if action == "dispatch":
        return lifecycle.dispatch_problem(user, problem, data["department"], data.get("note", ""))
    if action == "merge":
        target = Problem.objects.for_user(user).filter(number=data["into"].strip().upper()).first()
        if target is None:
            raise ValidationError({"into": _("找不到编号为 %(number)s 的问题。") % {"number": data["into"]}})
        return lifecycle.merge_problem(user, problem, target, data.get("note", ""))
    if action == "split":
        return lifecycle.split_problem(user, problem, request_form_parts(data), data.get("note", ""))
    if action == "dismiss":
        return lifecycle.dismiss_problem(user, problem, data.get("note", ""))
    if action == "accept":
        return lifecycle.accept_problem(user, problem, data.get("note", ""))
    if action == "return":
        return lifecycle.return_problem(user, problem, data.get("note", ""))
    if action == "progress":
        return lifecycle.report_progress(user, problem, data.get("note", ""), data.get("photos") or [])
    if action == "rectify":
        return lifecycle.rectify_problem(user, problem, data.get("note", ""), data.get("photos") or [])
    if action == "plan_long_term":
        return lifecycle.plan_long_term(user, problem, data["plan"], data["due_date"])
    if action == "verify":
        return lifecycle.verify_problem(
            user, problem, data["passed"], data.get("note", ""), data.get("photos") or []
        )
    if action == "reopen":
        return lifecycle.reopen_problem(user, problem, data.get("note", ""))
    if action == "rate":
        return lifecycle.rate_problem(user, problem, data["satisfaction"])
    raise Http404


def request_form_parts(data):
    return data["_parts"]


DONE_MESSAGES = {
    "dispatch": _("已派遣。"),
    "merge": _("已合并。"),
    "split": _("已拆分为子问题并派遣。"),
    "dismiss": _("已不予受理。"),
    "accept": _("已签收,请开始整改。"),
    "return": _("已退回指挥中心。"),
    "progress": _("进展已报送。"),
    "rectify": _("已报整改完成,等待核查。"),
    "plan_long_term": _("已列为长期整改。"),
    "verify": _("核查结果已记录。"),
    "reopen": _("问题已重新打开。"),
    "rate": _("感谢您的评价。"),
}


@login_required
@require_POST
def act(request, pk, action):
    if action not in ACTION_FORMS:
        raise Http404
    problem = _scoped(request, pk)
    form = ACTION_FORMS[action](request.POST, request.FILES, prefix=action)
    if form.is_valid():
        data = dict(form.cleaned_data)
        if action == "split":
            data["_parts"] = form.parts()
        try:
            _perform(request, problem, action, data)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, request.user))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, str(DONE_MESSAGES[action]))
            return redirect("problems:detail", pk=problem.pk)
    if form.errors:
        problem = _scoped(request, pk)
        context = _problem_context(request, problem)
        context["action_forms"][action] = form
        context["failed_action"] = action
        return render(request, "problems/detail.html", context, status=400)
    return redirect("problems:detail", pk=problem.pk)


@require_safe
def photo(request, pk):
    """A photo, to those who may see its problem (or who hold its follow-up code in their session)."""
    item = ProblemPhoto.objects.select_related("problem").filter(pk=pk).first()
    if item is None:
        raise Http404
    visible = Problem.objects.for_user(request.user).filter(pk=item.problem_id).exists()
    if not visible and item.problem.follow_up_code not in request.session.get("problem_codes", []):
        raise Http404
    response = FileResponse(item.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# -- the public follow-up page ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def follow(request):
    """A reporter without an account follows their problem by its code: status, steps (without names of
    officials), and reopening or rating it once closed."""
    code = (request.POST.get("code") or request.GET.get("code") or "").strip().upper()
    form = FollowForm({"code": code} if code else None)
    problem = None
    if code:
        problem = (
            Problem.objects.select_related("category", "department", "merged_into")
            .filter(follow_up_code=code)
            .first()
        )
        if problem is None:
            form.add_error("code", _("查询码不正确,请核对后再试。"))
    context = {"form": form, "problem": problem, "new": request.GET.get("new") == "1"}
    if problem is not None:
        codes = request.session.get("problem_codes", [])
        if code not in codes:
            request.session["problem_codes"] = [*codes[-9:], code]
        shown = problem.merged_into or problem
        context.update(
            shown=shown,
            timeline=_timeline(shown),
            reopen_form=NoteForm(prefix="reopen"),
            rate_form=RateForm(prefix="rate"),
        )
        if request.method == "POST":
            return _follow_action(request, problem, code, context)
    return render(request, "problems/follow.html", context, status=400 if form.errors else 200)


def _follow_action(request, problem, code, context):
    action = request.POST.get("action")
    if action == "reopen":
        form = NoteForm(request.POST, prefix="reopen")
        call = lambda data: lifecycle.reopen_problem(None, problem, data.get("note", ""), code=code)  # noqa: E731
        context["reopen_form"] = form
    elif action == "rate":
        form = RateForm(request.POST, prefix="rate")
        call = lambda data: lifecycle.rate_problem(None, problem, data["satisfaction"], code=code)  # noqa: E731
        context["rate_form"] = form
    else:
        raise Http404
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, str(DONE_MESSAGES[action]))
            return redirect(f"{reverse('problems:follow')}?code={code}")
    return render(request, "problems/follow.html", context, status=400 if form.errors else 200)


# -- statistics, map, ledger -----------------------------------------------------------------------------


@login_required
@permission_required("problems.view_problem", raise_exception=True)
@require_safe
def statistics(request):
    form = FilterForm(request.GET or None, hide=("status", "light", "q"))
    f = form.problem_filter() if request.GET else selectors.ProblemFilter()
    figures = selectors.statistics(
        request.user, f, area_labels=_area_labels(), department_labels=_department_labels()
    )
    scoped = selectors.filtered(Problem.objects.for_user(request.user), f)
    context = {
        "form": form,
        "figures": figures,
        "clear_url": request.path,
        "hotspots": selectors.hotspots(scoped),
        "points": [
            {
                "id": row["id"],
                "lat": float(row["latitude"]),
                "lon": float(row["longitude"]),
                "status": row["status"],
                "status_label": str(Problem.Status(row["status"]).label),
                "title": f"{row['number']} {row['title']}",
                "url": reverse("problems:detail", args=[row["id"]]),
            }
            for row in selectors.points(scoped.open(), limit=1500)
        ],
        "trend": figures.trend,
        "statuses": [{"code": code, "label": str(label)} for code, label in Problem.Status.choices],
    }
    return render(request, "problems/statistics.html", context)


@login_required
@permission_required("problems.view_problem", raise_exception=True)
@require_safe
def ledger(request):
    form = FilterForm(request.GET or None, hide=("light", "source"))
    f = form.problem_filter() if request.GET else selectors.ProblemFilter()
    rows = selectors.remediation_ledger(request.user, f)
    if request.GET.get("format") == "xlsx":
        return exports.ledger_response(rows, _area_labels())
    page = page_of(request, rows, PAGE_SIZE)
    query = request.GET.copy()
    query["format"] = "xlsx"
    context = {
        "form": form,
        **page,
        "clear_url": request.path,
        "export_url": f"{request.path}?{query.urlencode()}",
    }
    return rows_or_page(request, "problems/_ledger_results.html", "problems/ledger.html", context)


@require_safe
def areas_geojson(request):
    """The zone's areas (街道/镇) for the maps, from the file the `ZONE_AREAS_GEOJSON` setting names."""
    response = HttpResponse(geo.geojson_path().read_bytes(), content_type="application/geo+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


urlpatterns = [
    path("", problem_list, name="list"),
    path("report/", report, name="report"),
    path("queue/", queue, name="queue"),
    path("worklist/", worklist, name="worklist"),
    path("mine/", mine, name="mine"),
    path("follow/", follow, name="follow"),
    path("statistics/", statistics, name="statistics"),
    path("ledger/", ledger, name="ledger"),
    path("areas.geojson", areas_geojson, name="areas"),
    path("rivers/", include(river_views.urlpatterns)),  # the rivers' sections and readings
    path("photos/<int:pk>/", photo, name="photo"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/<slug:action>/", act, name="act"),
]
