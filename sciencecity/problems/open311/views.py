"""The GeoReport v2 endpoints. Each answers in the format its path ends with (`.json` or `.xml`), in the
language of `?locale=` or else of Accept-Language (Chinese when neither names a language the platform
speaks), and refuses in the spec's error document: a list of {code, description}.

Reads are public and anonymous, as the spec means them: they come through `selectors.public_problems()`,
which reads neither the reporter nor their name, phone or follow-up code. The one write, POST requests, is
made by the owner of the API token named by `api_key` through `lifecycle.report_problem`, like a report
from the pages or the REST API.

Our reports get their number in the same transaction that stores them, so POST answers the
`service_request_id` at once and never a token; `tokens/{token}` exists for clients that ask anyway, and a
token is simply the request's id.
"""

import datetime
import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from sciencecity.accounts.models import Department
from sciencecity.api import idempotency
from sciencecity.api.models import IdempotencyRecord
from sciencecity.api.services import authenticate_secret
from sciencecity.workdays import clock

from .. import selectors
from ..models import OPEN_STATES, Problem, ProblemCategory
from ..services import lifecycle
from . import renderers

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When the endpoints below last changed in a way a client would notice (the discovery's `changeset`).
CHANGESET = "2026-12-06T00:00:00+08:00"
# The spec's bounds on GET requests: at most 1000 requests, over at most 90 days, the last 90 by default.
MAX_RESULTS = 1000
MAX_SPAN = datetime.timedelta(days=90)
TITLE_LENGTH = 40

# The names of the service's fields in Open311's words, for the error descriptions.
PARAMETERS = {
    "category": "service_code",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "reporter_phone": "phone",
    "reporter_name": "first_name",
}


class Refused(Exception):
    """A request the endpoint answers with the spec's error document."""

    def __init__(self, status: int, *descriptions):
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = [str(description) for description in descriptions]


def _language(request) -> str:
    """`?locale=` (en, en_US, zh_CN …) when the platform speaks it, else what LocaleMiddleware chose from
    Accept-Language, which falls back to Chinese."""
    locale = (request.GET.get("locale") or "").strip().replace("_", "-").lower()
    if locale:
        try:
            return translation.get_supported_language_variant(locale)
        except LookupError:
            pass
    return translation.get_language() or settings.LANGUAGE_CODE


def endpoint(*methods):
    """The view answers `methods` (GET brings HEAD) in its format and language, and turns `Refused` into
    the error document."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, fmt, **kwargs):
            with translation.override(_language(request)):
                if request.method not in allowed:
                    response = renderers.errors(
                        fmt, 405, _("该地址不接受 %(method)s 请求。") % {"method": request.method}
                    )
                    response["Allow"] = ", ".join(sorted(allowed))
                    return response
                try:
                    return view(request, fmt, **kwargs)
                except Refused as refusal:
                    return renderers.errors(fmt, refusal.status, *refusal.descriptions)

        return wrapped

    return decorate


# -- services --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    """One attribute of a service definition (a string the client may or must send as attribute[code])."""

    code: str
    description: object  # lazy text
    datatype_description: object
    required: bool = False

    def as_dict(self, order: int) -> dict:
        return {
            "variable": True,
            "code": self.code,
            "datatype": "string",
            "required": self.required,
            "datatype_description": str(self.datatype_description),
            "order": order,
            "description": str(self.description),
            "values": [],
        }


ADDRESS_DETAIL = Attribute(
    "address_detail", gettext_lazy("详细位置"), gettext_lazy("门牌号、楼栋、楼层或附近的标志物")
)
ENTERPRISE_NAME = Attribute(
    "enterprise_name", gettext_lazy("涉及企业"), gettext_lazy("被反映企业的名称"), required=True
)


def attributes_of(category: ProblemCategory) -> list[Attribute]:
    """What a client may say beyond the spec's fields, derived from what the category is: every problem can
    say more precisely where it is, and a problem of a 散乱污 category names the enterprise, because that
    ledger is kept by enterprise. Categories declare nothing for Open311 today; richer attributes (a choice
    among kinds of pollution, a number, a date) would need each category to declare its own as data — a list
    of {code, datatype, required, description, values} on ProblemCategory, edited and audited like its other
    fields — and the report to keep the answers in a field of their own instead of the description."""
    attributes = [ADDRESS_DETAIL]
    if category.in_remediation_ledger:
        attributes.append(ENTERPRISE_NAME)
    return attributes


def _service(category) -> dict:
    department = category.general_department
    return {
        "service_code": category.code,
        "service_name": category.display_name,
        "description": category.description,
        "metadata": bool(attributes_of(category)),
        "type": "realtime",
        # Both names, so that a client searching in either language finds the service.
        "keywords": ", ".join(name for name in (category.name, category.name_en) if name),
        # The department the category's rule for every area sends it to; "" when the dispatch centre decides.
        "group": department.display_name if department is not None else "",
    }


def _root_url(request) -> str:
    return request.build_absolute_uri(reverse("open311:discovery", args=["json"])).removesuffix(
        "discovery.json"
    )


@endpoint("GET")
def discovery(request, fmt):
    endpoint_type = "test" if settings.DEBUG else "production"
    value = {
        "changeset": CHANGESET,
        "contact": f"{settings.SITE_NAME} {settings.SITE_URL}",
        "key_service": _("在平台的“接口令牌”页面 %(url)s 创建令牌,作为 api_key 使用。")
        % {"url": request.build_absolute_uri(reverse("api_tokens"))},
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": _root_url(request),
                "changeset": CHANGESET,
                "type": endpoint_type,
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return renderers.respond(value, "discovery", fmt)


@endpoint("GET")
def services(request, fmt):
    return renderers.respond(
        [_service(category) for category in selectors.public_categories()], "services", fmt
    )


@endpoint("GET")
def service_definition(request, fmt, service_code):
    category = ProblemCategory.objects.reportable().filter(code=service_code).first()
    if category is None:
        raise Refused(404, _("没有编码为 %(code)s 的服务。") % {"code": service_code})
    attributes = [attribute.as_dict(order) for order, attribute in enumerate(attributes_of(category), 1)]
    return renderers.respond(
        {"service_code": category.code, "attributes": attributes}, "service_definition", fmt
    )


# -- service requests ------------------------------------------------------------------------------------


def _moment(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _expected(problem) -> str:
    """The end of the deadline's day: the department has that whole working day."""
    if problem.due_date is None or not problem.is_open:
        return ""
    end = datetime.datetime.combine(problem.due_date, datetime.time(23, 59, 59))
    return _moment(timezone.make_aware(end))


def service_notice(problem) -> str:
    """What will happen to the request, in a sentence."""
    if problem.status == Problem.Status.MERGED and problem.merged_into_id:
        return _("与 %(number)s 为同一问题,已合并办理。") % {"number": problem.merged_into.number}
    if not problem.is_open:
        return ""
    if problem.department_id is None:
        return _("等待指挥中心派遣。")
    if problem.due_date is not None:
        return _("已派往%(department)s,办理期限 %(date)s。") % {
            "department": problem.department.display_name,
            "date": problem.due_date.isoformat(),
        }
    return ""


def _coordinate(value) -> float | str:
    return float(value) if value is not None else ""


def _media_url(request, problem) -> str:
    # The platform's own photo view serves it, to those who may see the problem (its officials, and its
    # reporter with the follow-up code): the link does not publish the photo. Whether report photos (faces,
    # number plates) may be shown to everyone is the zone's decision, not this endpoint's.
    if not problem.first_photo_id:
        return ""
    return request.build_absolute_uri(reverse("problems:photo", args=[problem.first_photo_id]))


def _request(request, problem) -> dict:
    """One service request as the spec shows it; nothing of the reporter."""
    return {
        "service_request_id": problem.number,
        "status": "open" if problem.status in OPEN_STATES else "closed",
        "status_notes": problem.latest_note or "",
        "service_name": problem.category.display_name,
        "service_code": problem.category.code,
        "description": problem.description,
        "agency_responsible": problem.department.display_name if problem.department_id else "",
        "service_notice": service_notice(problem),
        "requested_datetime": _moment(problem.reported_at),
        "updated_datetime": _moment(problem.updated_at),
        "expected_datetime": _expected(problem),
        "address": problem.address,
        "address_id": "",
        "zipcode": "",
        "lat": _coordinate(problem.latitude),
        "long": _coordinate(problem.longitude),
        "media_url": _media_url(request, problem),
    }


def _listed(value: str | None) -> list[str]:
    """A comma-separated parameter's values (the spec's way of repeating one)."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _parse_moment(text: str, name: str) -> datetime.datetime:
    """An ISO 8601 time (a day alone is its midnight). The spec asks for an offset; a time without one is read
    in the zone's time zone rather than refused, since that is what the zone's own people mean by it."""
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None:
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is not None:
            value = datetime.datetime.combine(day, datetime.time.min)
    if value is None:
        raise Refused(400, _("%(name)s 不是 ISO 8601 时间,例如 2026-01-01T00:00:00+08:00。") % {"name": name})
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _period(query) -> tuple[datetime.datetime, datetime.datetime]:
    """start_date … end_date: the last 90 days by default; 90 days from the one given; never longer."""
    start = _parse_moment(query["start_date"], "start_date") if query.get("start_date") else None
    end = _parse_moment(query["end_date"], "end_date") if query.get("end_date") else None
    if start is None and end is None:
        end = clock.now()
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if start > end:
        raise Refused(400, _("start_date 不能晚于 end_date。"))
    if end - start > MAX_SPAN:
        raise Refused(400, _("查询的时间范围不能超过 %(days)s 天。") % {"days": MAX_SPAN.days})
    return start, end


def _requests_matching(query):
    """The requests a GET asks for, newest first, at most MAX_RESULTS. Each filter is a range or a list on
    an index: (category, reported_at) for service_code, (status, reported_at) for status, (-reported_at, -id)
    for the period alone; the ids on the number's unique index."""
    rows = selectors.public_problems()
    numbers = _listed(query.get("service_request_id"))
    if numbers:
        # The spec: service_request_id overrides every other parameter.
        if len(numbers) > MAX_RESULTS:
            raise Refused(400, _("一次最多查询 %(n)s 个服务请求。") % {"n": MAX_RESULTS})
        rows = rows.filter(number__in=[number.upper() for number in numbers])
    else:
        codes = _listed(query.get("service_code"))
        if codes:
            categories = dict(ProblemCategory.objects.filter(code__in=codes).values_list("code", "pk"))
            unknown = [code for code in codes if code not in categories]
            if unknown:
                raise Refused(400, *(_("未知的 service_code:%(code)s") % {"code": code} for code in unknown))
            rows = rows.filter(category_id__in=categories.values())
        statuses = set(_listed(query.get("status")))
        if statuses - {"open", "closed"}:
            raise Refused(400, _("status 只能是 open 或 closed。"))
        if statuses == {"open"}:
            rows = rows.filter(status__in=OPEN_STATES)
        elif statuses == {"closed"}:
            rows = rows.exclude(status__in=OPEN_STATES)
        start, end = _period(query)
        rows = rows.filter(reported_at__gte=start, reported_at__lte=end)
    return rows.order_by("-reported_at", "-id")[:MAX_RESULTS]


def _location(post) -> tuple[Decimal | None, Decimal | None]:
    latitude, longitude = (post.get("lat") or "").strip(), (post.get("long") or "").strip()
    if not latitude and not longitude:
        return None, None
    try:
        point = Decimal(latitude), Decimal(longitude)
    except InvalidOperation:
        raise Refused(400, _("lat 和 long 须同时填写,且为十进制度数(WGS 84)。")) from None
    if not all(value.is_finite() for value in point):
        raise Refused(400, _("lat 和 long 须同时填写,且为十进制度数(WGS 84)。"))
    return point


def _person(first_name: str, last_name: str) -> str:
    """A name as it is written: a Chinese name family name first and without a space, another in the order
    the client gave."""
    first_name, last_name = first_name.strip(), last_name.strip()
    if any("\u4e00" <= char <= "\u9fff" for char in first_name + last_name):
        return last_name + first_name
    return " ".join(part for part in (first_name, last_name) if part)


def _title(description: str, category) -> str:
    """Open311 has no title: the description's first line, shortened, or the category's name."""
    line = next((line.strip() for line in description.splitlines() if line.strip()), "")
    if not line:
        return category.name
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"


def _refusal(error: ValidationError) -> Refused:
    """The service's refusal, each message named by the Open311 parameter it is about."""
    if hasattr(error, "error_dict"):
        descriptions = [
            f"{PARAMETERS.get(field, field)}: {message}"
            for field, errors in error.message_dict.items()
            for message in errors
        ]
    else:
        descriptions = error.messages
    return Refused(400, *descriptions)


def _create(request, fmt):
    post = request.POST
    secret = (post.get("api_key") or "").strip()
    token = authenticate_secret(secret) if secret else None
    if token is None:
        raise Refused(403, _("api_key 缺失、无效或已吊销。"))
    code = (post.get("service_code") or "").strip()
    if not code:
        raise Refused(400, _("请提供 service_code。"))
    category = ProblemCategory.objects.reportable().filter(code=code).first()
    if category is None:
        raise Refused(400, _("未知的 service_code:%(code)s") % {"code": code})
    answers = {
        attribute: (post.get(f"attribute[{attribute.code}]") or "").strip()
        for attribute in attributes_of(category)
    }
    missing = [attribute.code for attribute, value in answers.items() if attribute.required and not value]
    if missing:
        raise Refused(400, *(_("请提供属性 attribute[%(code)s]。") % {"code": code} for code in missing))
    latitude, longitude = _location(post)
    description = (post.get("description") or "").strip()
    address = " ".join(
        part for part in ((post.get("address_string") or "").strip(), answers.get(ADDRESS_DETAIL, "")) if part
    )
    # Attributes without a field of their own are kept in the description, labelled in the platform's language
    # whatever the client's, so that the stored text reads the same for everyone who handles it.
    with translation.override(settings.LANGUAGE_CODE):
        extra = [
            f"{attribute.description}:{value}"
            for attribute, value in answers.items()
            if value and attribute is not ADDRESS_DETAIL
        ]
    # email, device_id, account_id and media_url are accepted and not kept: a problem has no field for an
    # e-mail address (its reporter is called back by phone), and fetching a client's media_url from the server
    # would let any key holder make the platform request any address.
    report = lifecycle.Report(
        category=category,
        title=_title(description, category),
        description="\n".join([description, *extra]) if description else "",
        source=Problem.Source.OPEN311,
        latitude=latitude,
        longitude=longitude,
        address=address,
        reporter_name=_person(post.get("first_name") or "", post.get("last_name") or ""),
        reporter_phone=(post.get("phone") or "").strip(),
    )
    key = request.headers.get(idempotency.HEADER, "").strip()
    if not key:
        return renderers.respond(_report(token, report), "service_requests", fmt, status=201)
    # A client that retries after a lost answer sends the same Idempotency-Key: it gets the first answer, and
    # the problem is reported once.
    if len(key) > idempotency.MAX_KEY_LENGTH:
        raise Refused(400, _("幂等键不能超过 %(max)d 个字符。") % {"max": idempotency.MAX_KEY_LENGTH})
    path = request.path.rsplit(".", 1)[0]  # a retry may ask for the other format: the same request
    print_ = idempotency.form_fingerprint(
        "POST", path, [(name, values) for name, values in post.lists() if name != "api_key"]
    )
    try:
        with transaction.atomic():
            done = IdempotencyRecord.objects.filter(user=token.user, key=key).first()
            if done is None:
                answer = _report(token, report)
                idempotency.remember(token.user, key, "POST", path, print_, 201, answer)
                return renderers.respond(answer, "service_requests", fmt, status=201)
    except IntegrityError:
        done = IdempotencyRecord.objects.filter(user=token.user, key=key).first()
        if done is None:
            raise
    if not idempotency.matches(done, "POST", path, print_):
        raise Refused(400, _("幂等键“%(key)s”已用于另一个请求,请为新请求使用新的键。") % {"key": key})
    response = renderers.respond(done.body, "service_requests", fmt, status=done.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def _report(token, report) -> list:
    try:
        problem = lifecycle.report_problem(token.user, report)
    except ValidationError as error:
        raise _refusal(error) from None
    problem = selectors.public_problems().get(pk=problem.pk)
    return [{"service_request_id": problem.number, "service_notice": service_notice(problem)}]


# A key in the form, not a cookie, authenticates the POST: a browser's session gives it nothing, so there is
# no request to forge, and programs cannot fetch a CSRF token first.
@csrf_exempt
@endpoint("GET", "POST")
def requests(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    rows = [_request(request, problem) for problem in _light(_requests_matching(request.GET))]
    return renderers.respond(rows, "service_requests", fmt)


# The columns a listed request shows (`_request`), read as values rather than model instances: a GET answers up
# to a thousand requests, and building four model instances per row (the problem, its category, department and
# survivor) cost most of the answer's time.
LISTED = (
    "number",
    "status",
    "description",
    "category_id",
    "department_id",
    "merged_into_id",
    "reported_at",
    "due_date",
    "address",
    "latitude",
    "longitude",
    "latest_note",
    "updated_at",
    "first_photo_id",
)


@dataclass(slots=True)
class _Listed:
    """A listed request with the attributes `_request` and `service_notice` read from a problem."""

    number: str
    status: str
    description: str
    category_id: int
    department_id: int | None
    merged_into_id: int | None
    reported_at: datetime.datetime
    due_date: datetime.date | None
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    latest_note: str | None
    updated_at: datetime.datetime
    first_photo_id: int | None
    category: object = None
    department: object = None
    merged_into: object = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES


def _light(queryset) -> list[_Listed]:
    """The queryset's requests as `_Listed` records: one query for the rows, one each for the categories and
    departments they name (small tables), one for the numbers of the problems merged ones survive in."""
    rows = [_Listed(*values) for values in queryset.values_list(*LISTED)]
    categories = ProblemCategory.objects.in_bulk({row.category_id for row in rows})
    departments = Department.objects.in_bulk({row.department_id for row in rows} - {None})
    survivors = Problem.objects.in_bulk({row.merged_into_id for row in rows} - {None})
    for row in rows:
        row.category = categories[row.category_id]
        row.department = departments.get(row.department_id)
        row.merged_into = survivors.get(row.merged_into_id)
    return rows


@endpoint("GET")
def service_request(request, fmt, service_request_id):
    problem = selectors.public_problems().filter(number=service_request_id.upper()).first()
    if problem is None:
        raise Refused(404, _("没有编号为 %(id)s 的服务请求。") % {"id": service_request_id})
    return renderers.respond([_request(request, problem)], "service_requests", fmt)


@endpoint("GET")
def token_lookup(request, fmt, token):
    """A token is the request's id itself (see the module's docstring)."""
    number = selectors.public_problems().filter(number=token.upper()).values_list("number", flat=True).first()
    if number is None:
        raise Refused(404, _("没有编号为 %(id)s 的服务请求。") % {"id": token})
    return renderers.respond([{"service_request_id": number, "token": token}], "service_requests", fmt)


def not_found(request, path=""):
    """Any other address under /open311/v2/: the spec's 404, in XML when the path asks for it."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    with translation.override(_language(request)):
        return renderers.errors(fmt, 404, _("没有这个 Open311 接口。"))
