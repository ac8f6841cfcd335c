"""Validation of a whole catalog version given as plain data (the shape of the YAML file).

One validator serves every way a catalog arrives: a YAML file being imported, and a draft edited in the admin
that is about to be published (the draft is first turned into the same plain data by
`yaml_io.version_to_data`). It collects every problem instead of stopping at the first, and each message names
the offending code and where it sits (with the line number when the data came from a file), so an author can
fix a file in one pass.

`validate_catalog_data(raw)` returns the data normalized: every optional key present with its default,
shorthands expanded, and lists whose order carries no meaning (rule selections, form-field items,
dependencies) put in the bundle's item order, so that equal catalogs give equal data.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext as _

from sciencecity.i18n import join_list

from .models import (
    Bundle,
    CatalogVersion,
    FormField,
    FormRule,
    ItemStep,
    MaterialSpec,
    ServiceItem,
    SituationQuestion,
    Stage,
)

FORMAT = 1

CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
EXTENSION_RE = re.compile(r"^[a-z0-9]{1,10}$")
SMALL_INT_MAX = 32767  # PositiveSmallIntegerField, for the numbers the models state no bound of their own
FORM_NUMBER_LIMIT = 10**15  # no number of a merged form goes beyond this (approvals.services.applications)


class CatalogImportError(ValidationError):
    """A catalog (file or draft) that cannot be imported or published; `errors` lists every problem found."""

    def __init__(self, errors):
        self.errors = [str(error) for error in errors]
        super().__init__(self.errors)

    def __str__(self):
        return "\n".join(self.errors)


def prefill_fields(source: str) -> list[str]:
    """The fields of Enterprise or Project that a material or form field may take its value from."""
    from sciencecity.enterprises.models import Enterprise
    from sciencecity.projects.models import Project

    model = {"enterprise": Enterprise, "project": Project}[source]
    return [field.name for field in model._meta.concrete_fields if not field.is_relation]


def _max_length(model, field_name):
    return model._meta.get_field(field_name).max_length


def _max_value(model, field_name):
    """The bound the model field states (catalog/models.py), so that the YAML and the admin say the same."""
    bounds = [
        validator.limit_value
        for validator in model._meta.get_field(field_name).validators
        if isinstance(validator, MaxValueValidator)
    ]
    return min(bounds)


# -- field kinds ------------------------------------------------------------------------------------------


class Kind:
    """How one key of a record is checked and what it becomes; subclasses say which values are good."""

    expected = ""

    def __init__(self, *, required=False, default=None, max_length=None):
        self.required = required
        self.default = default
        self.max_length = max_length

    def clean(self, value):
        """Return the cleaned value or raise ValueError with a problem description."""
        raise NotImplementedError


class Text(Kind):
    @property
    def expected(self):
        return _("文本")

    def clean(self, value):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(None)
        value = str(value).strip()
        if self.max_length and len(value) > self.max_length:
            raise ValueError(
                _("长度不能超过 %(max)s 个字符(现为 %(length)s 个)")
                % {"max": self.max_length, "length": len(value)}
            )
        return value


class Code(Kind):
    @property
    def expected(self):
        return _("编码(只含字母、数字、连字符和下划线)")

    def clean(self, value):
        if not isinstance(value, str) or not CODE_RE.match(value):
            raise ValueError(None)
        if self.max_length and len(value) > self.max_length:
            raise ValueError(
                _("长度不能超过 %(max)s 个字符(现为 %(length)s 个)")
                % {"max": self.max_length, "length": len(value)}
            )
        return value


class Integer(Kind):
    def __init__(self, *, minimum=0, maximum=SMALL_INT_MAX, **kwargs):
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum

    @property
    def expected(self):
        return _("%(min)s 到 %(max)s 之间的整数") % {"min": self.minimum, "max": self.maximum}

    def clean(self, value):
        if isinstance(value, bool) or not isinstance(value, int) or not self.minimum <= value <= self.maximum:
            raise ValueError(None)
        return value


class Boolean(Kind):
    @property
    def expected(self):
        return _("true 或 false")

    def clean(self, value):
        if not isinstance(value, bool):
            raise ValueError(None)
        return value


class Date(Kind):
    @property
    def expected(self):
        return _("日期(YYYY-MM-DD)")

    def clean(self, value):
        if isinstance(value, datetime.datetime):
            raise ValueError(None)
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                raise ValueError(None) from None
        raise ValueError(None)


class Choice(Kind):
    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = [str(value) for value in choices]

    @property
    def expected(self):
        return _("以下之一:%(choices)s") % {"choices": join_list(self.choices)}

    def clean(self, value):
        if value not in self.choices:
            raise ValueError(None)
        return value


class Raw(Kind):
    """Checked by the caller (lists and mappings with their own structure)."""

    def __init__(self, expected_type, **kwargs):
        super().__init__(**kwargs)
        self.expected_type = expected_type

    @property
    def expected(self):
        return _("列表") if self.expected_type is list else _("映射(键: 值)")

    def clean(self, value):
        if not isinstance(value, self.expected_type):
            raise ValueError(None)
        return value


# -- record schemas ---------------------------------------------------------------------------------------

TOP = {
    "format": Integer(minimum=1, default=FORMAT),
    "version": Raw(dict, required=True),
    "materials": Raw(list, default=[]),
    "items": Raw(list, required=True),
    "bundles": Raw(list, default=[]),
}
VERSION = {
    "label": Text(required=True, max_length=_max_length(CatalogVersion, "label")),
    "valid_from": Date(),
    "note": Text(default=""),
}
MATERIAL = {
    "code": Code(required=True, max_length=_max_length(MaterialSpec, "code")),
    "name": Text(required=True, max_length=_max_length(MaterialSpec, "name")),
    "name_en": Text(default="", max_length=_max_length(MaterialSpec, "name_en")),
    "description": Text(default=""),
    "description_en": Text(default=""),
    "source": Choice(MaterialSpec.Source.values, default=MaterialSpec.Source.UPLOAD),
    "source_field": Text(default="", max_length=_max_length(MaterialSpec, "source_field")),
    "certificate_code": Code(default="", max_length=_max_length(MaterialSpec, "certificate_code")),
    "formats": Raw(list, default=[]),
    "max_size_mb": Integer(minimum=1, maximum=_max_value(MaterialSpec, "max_size_mb"), default=20),
}
ITEM = {
    "code": Code(required=True, max_length=_max_length(ServiceItem, "code")),
    "name": Text(required=True, max_length=_max_length(ServiceItem, "name")),
    "name_en": Text(default="", max_length=_max_length(ServiceItem, "name_en")),
    "description": Text(default=""),
    "department": Code(required=True),
    "stage": Choice(Stage.values, required=True),
    "line": Choice(ServiceItem.Line.values, default=ServiceItem.Line.MAIN),
    "kind": Choice(ServiceItem.Kind.values, default=ServiceItem.Kind.LICENSE),
    "legal_limit_days": Integer(maximum=_max_value(ServiceItem, "legal_limit_days"), default=None),
    "promised_limit_days": Integer(maximum=_max_value(ServiceItem, "promised_limit_days"), required=True),
    "pledge_allowed": Boolean(default=False),
    "certificate": Raw(dict, default=None),
    "steps": Raw(list, default=[]),
    "materials": Raw(list, default=[]),
    "replaces": Raw(list, default=[]),
}
CERTIFICATE = {
    "code": Code(required=True, max_length=_max_length(ServiceItem, "certificate_code")),
    "name": Text(required=True, max_length=_max_length(ServiceItem, "certificate_name")),
    "name_en": Text(default="", max_length=_max_length(ServiceItem, "certificate_name_en")),
}
STEP = {
    "name": Text(required=True, max_length=_max_length(ItemStep, "name")),
    "name_en": Text(default="", max_length=_max_length(ItemStep, "name_en")),
    "limit_days": Integer(maximum=_max_value(ItemStep, "limit_days"), default=None),
}
ITEM_MATERIAL = {
    "material": Code(required=True),
    "required": Boolean(default=True),
    "gap_tolerated": Boolean(default=False),
    "pledge_allowed": Boolean(default=False),
}
BUNDLE = {
    "code": Code(required=True, max_length=_max_length(Bundle, "code")),
    "name": Text(required=True, max_length=_max_length(Bundle, "name")),
    "name_en": Text(default="", max_length=_max_length(Bundle, "name_en")),
    "description": Text(default=""),
    "description_en": Text(default=""),
    "lead_department": Code(required=True),
    "promised_limit_days": Integer(maximum=_max_value(Bundle, "promised_limit_days"), required=True),
    "intake_limit_days": Integer(maximum=_max_value(Bundle, "intake_limit_days"), default=1),
    "target_date_label": Text(default="", max_length=_max_length(Bundle, "target_date_label")),
    "target_date_label_en": Text(default="", max_length=_max_length(Bundle, "target_date_label_en")),
    "licence": Raw(dict, default=None),
    "items": Raw(list, required=True),
    "questions": Raw(list, default=[]),
    "rules": Raw(list, default=[]),
    "dependencies": Raw(dict, default={}),
    "form": Raw(list, default=[]),
    "form_rules": Raw(list, default=[]),
}
LICENCE = {
    "code": Code(required=True, max_length=_max_length(Bundle, "licence_code")),
    "name": Text(required=True, max_length=_max_length(Bundle, "licence_name")),
    "name_en": Text(default="", max_length=_max_length(Bundle, "licence_name_en")),
}
BUNDLE_ITEM = {
    "item": Code(required=True),
    "mandatory": Boolean(default=True),
}
QUESTION = {
    "code": Code(required=True, max_length=_max_length(SituationQuestion, "code")),
    "text": Text(required=True, max_length=_max_length(SituationQuestion, "text")),
    "text_en": Text(default="", max_length=_max_length(SituationQuestion, "text_en")),
    "help_text": Text(default=""),
    "help_text_en": Text(default=""),
    "kind": Choice(SituationQuestion.Kind.values, default=SituationQuestion.Kind.YES_NO),
    "options": Raw(list, default=[]),
}
OPTION = {
    "value": Text(required=True, max_length=60),
    "label": Text(required=True, max_length=200),
    "label_en": Text(default="", max_length=300),
}
RULE = {
    "when": Raw(dict, required=True),
    "select": Raw(list, required=True),
}
FIELD = {
    "code": Code(required=True, max_length=_max_length(FormField, "code")),
    "label": Text(required=True, max_length=_max_length(FormField, "label")),
    "label_en": Text(default="", max_length=_max_length(FormField, "label_en")),
    "kind": Choice(FormField.Kind.values, default=FormField.Kind.TEXT),
    "required": Boolean(default=True),
    "choices": Raw(list, default=[]),
    "prefill": Text(default="", max_length=_max_length(FormField, "prefill")),
    "min": Integer(minimum=-FORM_NUMBER_LIMIT, maximum=FORM_NUMBER_LIMIT, default=None),
    "max": Integer(minimum=-FORM_NUMBER_LIMIT, maximum=FORM_NUMBER_LIMIT, default=None),
    "items": Raw(list, required=True),
}
FORM_RULE = {
    "field": Code(required=True, max_length=_max_length(FormRule, "field")),
    "op": Choice(FormRule.Operator.values, required=True),
    "other": Code(required=True, max_length=_max_length(FormRule, "other")),
    "message": Text(required=True, max_length=_max_length(FormRule, "message")),
    "message_en": Text(default="", max_length=_max_length(FormRule, "message_en")),
}
NUMERIC_KINDS = (FormField.Kind.NUMBER, FormField.Kind.DECIMAL)


# -- the validator ----------------------------------------------------------------------------------------


def _line(container, key=None):
    """The file line of `container` (or of its `key`/index), when the data came from the YAML loader."""
    if key is None:
        return getattr(container, "line", None)
    if isinstance(container, dict):
        return getattr(container, "key_lines", {}).get(key) or getattr(container, "line", None)
    if isinstance(container, list):
        lines = getattr(container, "item_lines", [])
        if isinstance(key, int) and 0 <= key < len(lines):
            return lines[key]
        return getattr(container, "line", None)
    return None


def _show(value) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def located(where: str, line, problem: str) -> str:
    if line:
        return _("%(where)s(第 %(line)s 行):%(problem)s") % {"where": where, "line": line, "problem": problem}
    return _("%(where)s:%(problem)s") % {"where": where, "problem": problem}


class CatalogValidator:
    """Checks raw catalog data; `run()` returns normalized data and leaves every problem in `errors`."""

    def __init__(self, department_codes=None):
        if department_codes is None:
            from sciencecity.accounts.models import Department

            department_codes = set(Department.objects.values_list("code", flat=True))
        self.department_codes = set(department_codes)
        self._errors: list[tuple[int, str]] = []
        self.raw_entries: dict[tuple[str, str], dict] = {}  # ("material"|"item", code) -> raw mapping

    @property
    def errors(self) -> list[str]:
        """Every problem, in file order (problems without a line keep the order they were found in)."""
        return [message for _line_number, message in sorted(self._errors, key=lambda pair: pair[0])]

    def error(self, where, line, problem):
        self._errors.append((line or 0, located(where, line, problem)))

    # Generic record checking: required keys, unknown keys, value types.

    def record(self, raw, schema, where, line=None):
        """Check `raw` against `schema`; return a dict with every key (defaults filled), or None if unusable."""
        if not isinstance(raw, dict):
            self.error(
                where, line or _line(raw), _("应为映射(键: 值),实际为 “%(value)s”") % {"value": _show(raw)}
            )
            return None
        line = _line(raw) or line
        cleaned = {}
        for key in raw:
            if key not in schema:
                self.error(
                    where,
                    _line(raw, key),
                    _("未知的键 “%(key)s”;可用的键:%(keys)s")
                    % {"key": _show(key), "keys": join_list(schema)},
                )
        for key, kind in schema.items():
            value = raw.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                if kind.required:
                    self.error(where, line, _("缺少必填项 “%(key)s”") % {"key": key})
                    cleaned[key] = None
                else:
                    cleaned[key] = _copy(kind.default)
                continue
            try:
                cleaned[key] = kind.clean(value)
            except ValueError as problem:
                detail = problem.args[0] if problem.args and problem.args[0] else None
                if detail is None:
                    detail = _("应为%(expected)s,实际为 “%(value)s”") % {
                        "expected": kind.expected,
                        "value": _show(value),
                    }
                self.error(where, _line(raw, key), _("“%(key)s” %(detail)s") % {"key": key, "detail": detail})
                cleaned[key] = None if kind.required else _copy(kind.default)
        return cleaned

    def entries(self, raw, line):
        """Yield (index, entry, entry_line) of a list; a list of another type has been reported already."""
        if not isinstance(raw, list):
            return
        for index, entry in enumerate(raw):
            yield index, entry, _line(raw, index) or line

    def duplicates(self, codes_with_place, what):
        first_lines = {}
        for code, where, line in codes_with_place:
            if code is None:
                continue
            if code not in first_lines:
                first_lines[code] = line
            elif first_lines[code]:
                self.error(
                    where,
                    line,
                    _("%(what)s编码 “%(code)s” 重复(第一次出现在第 %(first)s 行)")
                    % {"what": what, "code": code, "first": first_lines[code]},
                )
            else:
                self.error(where, line, _("%(what)s编码 “%(code)s” 重复") % {"what": what, "code": code})

    # The catalog.

    def run(self, raw):
        if raw is None:
            self.error(_("目录文件"), None, _("文件为空"))
            return None
        top = self.record(raw, TOP, _("目录文件"))
        if top is None:
            return None
        if top["format"] not in (None, FORMAT):
            self.error(
                _("目录文件"),
                _line(raw, "format"),
                _("不支持的格式版本 %(format)s(本系统读取格式 %(supported)s)")
                % {"format": top["format"], "supported": FORMAT},
            )
        data = {"format": FORMAT}
        data["version"] = (
            self.record(top["version"], VERSION, _("版本信息 version"), _line(raw, "version")) or {}
        )
        data["materials"] = self.materials(top["materials"], _line(raw, "materials"))
        material_codes = {material["code"] for material in data["materials"]}
        data["items"] = self.items(top["items"], _line(raw, "items"), material_codes)
        self.certificates_and_sources(data)
        self.replacements(data["items"])
        items = {item["code"]: item for item in data["items"]}
        data["bundles"] = self.bundles(top["bundles"], _line(raw, "bundles"), items)
        self.licences(data)
        return data

    def materials(self, raw, line):
        result, places = [], []
        for index, entry, entry_line in self.entries(raw, line):
            where = _("材料 %(code)s") % {"code": _entry_code(entry, "code", index)}
            material = self.record(entry, MATERIAL, where, entry_line)
            if material is None:
                continue
            material["formats"] = self.formats(entry.get("formats"), where, _line(entry, "formats"))
            self.raw_entries.setdefault(("material", material["code"]), entry)
            result.append(material)
            places.append((material["code"], where, _line(entry) or entry_line))
        self.duplicates(places, _("材料"))
        return result

    def formats(self, raw, where, line):
        if raw is None:
            return []
        if not isinstance(raw, list):
            return []  # the record check has reported the type
        formats = []
        for value in raw:
            if not isinstance(value, str) or not EXTENSION_RE.match(value):
                self.error(
                    where,
                    line,
                    _("文件格式 “%(value)s” 无效:应为小写的扩展名,如 pdf、jpg") % {"value": _show(value)},
                )
            elif value in formats:
                self.error(where, line, _("文件格式 “%(value)s” 重复") % {"value": value})
            else:
                formats.append(value)
        return formats

    def items(self, raw, line, material_codes):
        result, places = [], []
        for index, entry, entry_line in self.entries(raw, line):
            code = _entry_code(entry, "code", index)
            where = _("事项 %(code)s") % {"code": code}
            item = self.record(entry, ITEM, where, entry_line)
            if item is None:
                continue
            entry_line = _line(entry) or entry_line
            places.append((item["code"], where, entry_line))
            self.raw_entries.setdefault(("item", item["code"]), entry)
            if item["department"] and item["department"] not in self.department_codes:
                self.error(
                    where,
                    _line(entry, "department"),
                    _("部门编码 “%(department)s” 不存在;请先在部门管理中建立该部门")
                    % {"department": item["department"]},
                )
            legal, promised = item["legal_limit_days"], item["promised_limit_days"]
            if legal is not None and promised is not None and promised > legal:
                self.error(
                    where,
                    _line(entry, "promised_limit_days"),
                    _("承诺时限 %(promised)s 个工作日超过法定时限 %(legal)s 个工作日")
                    % {"promised": promised, "legal": legal},
                )
            if item["certificate"] is not None:
                item["certificate"] = self.record(
                    item["certificate"],
                    CERTIFICATE,
                    _("事项 %(code)s 的出具证照") % {"code": code},
                    _line(entry, "certificate"),
                )
            item["steps"] = self.steps(entry.get("steps"), code, _line(entry, "steps"))
            item["materials"] = self.item_materials(
                entry.get("materials"), code, _line(entry, "materials"), material_codes
            )
            result.append(item)
        self.duplicates(places, _("事项"))
        return result

    def steps(self, raw, item_code, line):
        steps = []
        for index, entry, entry_line in self.entries(raw, line):
            where = _("事项 %(code)s 的第 %(n)s 个办理环节") % {"code": item_code, "n": index + 1}
            step = self.record(entry, STEP, where, entry_line)
            if step is not None:
                steps.append(step)
        return steps

    def item_materials(self, raw, item_code, line, material_codes):
        result, seen = [], set()
        for index, entry, entry_line in self.entries(raw, line):
            where = _("事项 %(code)s 的材料清单第 %(n)s 项") % {"code": item_code, "n": index + 1}
            if isinstance(entry, str):
                entry = {"material": entry}
            use = self.record(entry, ITEM_MATERIAL, where, entry_line)
            if use is None or use["material"] is None:
                continue
            code = use["material"]
            if code not in material_codes:
                self.error(where, entry_line, _("引用了未定义的材料 “%(material)s”") % {"material": code})
            elif code in seen:
                self.error(where, entry_line, _("材料 “%(material)s” 重复列出") % {"material": code})
            else:
                seen.add(code)
                result.append(use)
        return result

    def replacements(self, items):
        """三评合一: a merged item replaces at least two other items of the catalog, none of them merged items
        themselves, and each item is replaced by one merged item at most."""
        by_code = {item["code"]: item for item in items}
        merged = {item["code"] for item in items if item["replaces"]}
        replaced_by: dict[str, str] = {}
        for item in items:
            raw = self.raw_entries.get(("item", item["code"]), {})
            where = _("事项 %(code)s 的合并替代事项 replaces") % {"code": item["code"]}
            line = _line(raw, "replaces")
            codes = []
            for code in item["replaces"]:
                if not isinstance(code, str) or code not in by_code:
                    self.error(where, line, _("引用了未定义的事项 “%(item)s”") % {"item": _show(code)})
                elif code == item["code"]:
                    self.error(where, line, _("事项不能替代自身"))
                elif code in codes:
                    self.error(where, line, _("事项 “%(item)s” 重复列出") % {"item": code})
                elif code in merged:
                    self.error(
                        where,
                        line,
                        _("“%(item)s” 本身是合并办理的事项,不能再被合并;请直接列出它所替代的事项")
                        % {"item": code},
                    )
                elif code in replaced_by:
                    self.error(
                        where,
                        line,
                        _("事项 “%(item)s” 已被 “%(other)s” 合并替代;一个事项只能被一个合并事项替代")
                        % {"item": code, "other": replaced_by[code]},
                    )
                else:
                    codes.append(code)
                    replaced_by[code] = item["code"]
            if item["replaces"] and len(item["replaces"]) < 2:
                self.error(where, line, _("合并办理须替代至少两个原先分别审批的事项"))
            item["replaces"] = codes

    def licences(self, data):
        """一业一证: each bundle's industry licence has a type of its own, which no item issues."""
        issued = {
            item["certificate"]["code"]: item["code"]
            for item in data["items"]
            if item["certificate"] and item["certificate"]["code"]
        }
        licensed: dict[str, str] = {}
        for bundle in data["bundles"]:
            licence = bundle["licence"]
            if not licence or not licence["code"]:
                continue
            code = licence["code"]
            where = _("一件事 %(code)s 的行业综合许可证 licence") % {"code": bundle["code"]}
            if code in issued:
                self.error(
                    where,
                    None,
                    _(
                        "证照类型 “%(certificate)s” 已由事项 “%(item)s” 出具;行业综合许可证须使用自己的类型编码"
                    )
                    % {"certificate": code, "item": issued[code]},
                )
            elif code in licensed:
                self.error(
                    where,
                    None,
                    _(
                        "证照类型 “%(certificate)s” 已由一件事 “%(other)s” 核发;每种行业综合许可证只能由一个一件事核发"
                    )
                    % {"certificate": code, "other": licensed[code]},
                )
            else:
                licensed[code] = bundle["code"]

    def certificates_and_sources(self, data):
        issuers = {}
        for item in data["items"]:
            certificate = item["certificate"]
            if not certificate or not certificate["code"]:
                continue
            code = certificate["code"]
            if code in issuers and issuers[code] != item["code"]:
                self.error(
                    _("事项 %(code)s") % {"code": item["code"]},
                    _line(self.raw_entries.get(("item", item["code"]), {}), "certificate"),
                    _("证照类型 “%(certificate)s” 已由事项 “%(other)s” 出具;每种证照只能由一个事项出具")
                    % {"certificate": code, "other": issuers[code]},
                )
            else:
                issuers[code] = item["code"]
        sources = MaterialSpec.Source
        for material in data["materials"]:
            where = _("材料 %(code)s") % {"code": material["code"]}
            entry = self.raw_entries.get(("material", material["code"]), {})
            source = material["source"]
            if source == sources.CERTIFICATE:
                if not material["certificate_code"]:
                    self.error(
                        where, _line(entry, "source"), _("来源为 certificate 时必须填写 “certificate_code”")
                    )
                elif material["certificate_code"] not in issuers:
                    self.error(
                        where,
                        _line(entry, "certificate_code"),
                        _("证照类型 “%(certificate)s” 没有任何事项出具(事项的 certificate.code)")
                        % {"certificate": material["certificate_code"]},
                    )
            elif material["certificate_code"]:
                self.error(
                    where,
                    _line(entry, "certificate_code"),
                    _("只有来源为 certificate 的材料才能填写 “certificate_code”"),
                )
            if source in (sources.ENTERPRISE, sources.PROJECT):
                fields = prefill_fields(source)
                if not material["source_field"]:
                    self.error(
                        where,
                        _line(entry, "source"),
                        _("来源为 %(source)s 时必须填写 “source_field”") % {"source": source},
                    )
                elif material["source_field"] not in fields:
                    self.error(
                        where,
                        _line(entry, "source_field"),
                        _("“source_field” 的值 “%(field)s” 不是%(model)s的字段;可用字段:%(fields)s")
                        % {
                            "field": material["source_field"],
                            "model": _source_label(source),
                            "fields": join_list(fields),
                        },
                    )
            elif material["source_field"]:
                self.error(
                    where,
                    _line(entry, "source_field"),
                    _("只有来源为 enterprise 或 project 的材料才能填写 “source_field”"),
                )

    def bundles(self, raw, line, items):
        result, places = [], []
        for index, entry, entry_line in self.entries(raw, line):
            code = _entry_code(entry, "code", index)
            where = _("一件事 %(code)s") % {"code": code}
            bundle = self.record(entry, BUNDLE, where, entry_line)
            if bundle is None:
                continue
            places.append((bundle["code"], where, _line(entry) or entry_line))
            if bundle["lead_department"] and bundle["lead_department"] not in self.department_codes:
                self.error(
                    where,
                    _line(entry, "lead_department"),
                    _("牵头部门编码 “%(department)s” 不存在;请先在部门管理中建立该部门")
                    % {"department": bundle["lead_department"]},
                )
            if bundle["target_date_label_en"] and not bundle["target_date_label"]:
                self.error(
                    where,
                    _line(entry, "target_date_label_en"),
                    _("填写了 “target_date_label_en” 却没有 “target_date_label”:目标交付日期须先有中文名称"),
                )
            if bundle["licence"] is not None:
                bundle["licence"] = self.record(
                    bundle["licence"],
                    LICENCE,
                    _("一件事 %(code)s 的行业综合许可证 licence") % {"code": code},
                    _line(entry, "licence"),
                )
            bundle["items"] = self.bundle_items(entry.get("items"), code, _line(entry, "items"), items)
            order = {use["item"]: position for position, use in enumerate(bundle["items"])}
            mandatory = {use["item"] for use in bundle["items"] if use["mandatory"]}
            bundle["questions"] = self.questions(entry.get("questions"), code, _line(entry, "questions"))
            bundle["rules"] = self.rules(
                entry.get("rules"), code, _line(entry, "rules"), bundle["questions"], order, mandatory
            )
            selected = {item for rule in bundle["rules"] for item in rule["select"]}
            for use in bundle["items"]:
                if not use["mandatory"] and use["item"] not in selected:
                    self.error(
                        where,
                        _line(entry, "items"),
                        _(
                            "情形选办事项 “%(item)s” 没有被任何情形规则选中,申请人永远不会办理它;请增加规则或改为必办"
                        )
                        % {"item": use["item"]},
                    )
            bundle["dependencies"] = self.dependencies(
                entry.get("dependencies"), code, _line(entry, "dependencies"), order
            )
            bundle["form"] = self.form(entry.get("form"), code, _line(entry, "form"), order)
            bundle["form_rules"] = self.form_rules(
                entry.get("form_rules"), code, _line(entry, "form_rules"), bundle["form"]
            )
            result.append(bundle)
        self.duplicates(places, _("一件事"))
        return result

    def bundle_items(self, raw, bundle_code, line, items):
        result, seen = [], set()
        for index, entry, entry_line in self.entries(raw, line):
            where = _("一件事 %(code)s 的事项清单第 %(n)s 项") % {"code": bundle_code, "n": index + 1}
            if isinstance(entry, str):
                entry = {"item": entry}
            use = self.record(entry, BUNDLE_ITEM, where, entry_line)
            if use is None or use["item"] is None:
                continue
            if use["item"] not in items:
                self.error(where, entry_line, _("引用了未定义的事项 “%(item)s”") % {"item": use["item"]})
            elif use["item"] in seen:
                self.error(where, entry_line, _("事项 “%(item)s” 重复列出") % {"item": use["item"]})
            else:
                seen.add(use["item"])
                result.append(use)
        return result

    def questions(self, raw, bundle_code, line):
        result, places = [], []
        for index, entry, entry_line in self.entries(raw, line):
            code = _entry_code(entry, "code", index)
            where = _("一件事 %(bundle)s 的情形问题 %(code)s") % {"bundle": bundle_code, "code": code}
            question = self.record(entry, QUESTION, where, entry_line)
            if question is None:
                continue
            places.append((question["code"], where, _line(entry) or entry_line))
            question["options"] = self.options(entry.get("options"), where, _line(entry, "options"))
            kind = question["kind"]
            if kind == SituationQuestion.Kind.YES_NO and question["options"]:
                self.error(where, _line(entry, "options"), _("是/否题(yes_no)不设选项;答案固定为 yes 和 no"))
            if (
                kind in (SituationQuestion.Kind.SINGLE, SituationQuestion.Kind.MULTIPLE)
                and len(question["options"]) < 2
            ):
                self.error(where, _line(entry) or entry_line, _("单选或多选题至少需要两个选项(options)"))
            result.append(question)
        self.duplicates(places, _("情形问题"))
        return result

    def options(self, raw, where, line):
        result, seen = [], set()
        for index, entry, entry_line in self.entries(raw, line):
            option_where = _("%(where)s 的第 %(n)s 个选项") % {"where": where, "n": index + 1}
            option = self.record(entry, OPTION, option_where, entry_line)
            if option is None or option["value"] is None:
                continue
            if option["value"] in seen:
                self.error(
                    option_where, entry_line, _("选项值 “%(value)s” 重复") % {"value": option["value"]}
                )
                continue
            seen.add(option["value"])
            result.append(option)
        return result

    def rules(self, raw, bundle_code, line, questions, order, mandatory):
        by_code = {question["code"]: question for question in questions}
        question_order = {question["code"]: position for position, question in enumerate(questions)}
        result = []
        for index, entry, entry_line in self.entries(raw, line):
            where = _("一件事 %(bundle)s 的第 %(n)s 条情形规则") % {"bundle": bundle_code, "n": index + 1}
            if isinstance(entry, dict) and isinstance(entry.get("select"), str):
                entry = _with_lines(entry, select=[entry["select"]])
            rule = self.record(entry, RULE, where, entry_line)
            if rule is None:
                continue
            when = {}
            raw_when = rule["when"] or {}
            if rule["when"] is not None and not raw_when:
                self.error(where, _line(entry, "when"), _("“when” 不能为空"))
            for question_code, accepted in raw_when.items():
                question = by_code.get(question_code)
                if question is None:
                    self.error(
                        where,
                        _line(raw_when, question_code),
                        _("引用了本一件事中未定义的情形问题 “%(question)s”")
                        % {"question": _show(question_code)},
                    )
                    continue
                values = accepted if isinstance(accepted, list) else [accepted]
                allowed = _allowed_values(question)
                clean_values = []
                for value in values:
                    if isinstance(value, bool) and question["kind"] == SituationQuestion.Kind.YES_NO:
                        value = "yes" if value else "no"
                    if (
                        not isinstance(value, str | int)
                        or isinstance(value, bool)
                        or str(value) not in allowed
                    ):
                        self.error(
                            where,
                            _line(raw_when, question_code),
                            _("情形问题 “%(question)s” 没有答案 “%(value)s”;可选答案:%(allowed)s")
                            % {
                                "question": question_code,
                                "value": _show(value),
                                "allowed": join_list(allowed),
                            },
                        )
                    elif str(value) not in clean_values:
                        clean_values.append(str(value))
                if not values:
                    self.error(
                        where,
                        _line(raw_when, question_code),
                        _("情形问题 “%(question)s” 的可接受答案不能为空") % {"question": question_code},
                    )
                when[question_code] = clean_values
            select = []
            if rule["select"] is not None and not rule["select"]:
                self.error(where, _line(entry, "select"), _("“select” 不能为空"))
            for code in rule["select"] or []:
                if not isinstance(code, str) or code not in order:
                    self.error(
                        where,
                        _line(entry, "select"),
                        _("选定的事项 “%(item)s” 不在本一件事的事项清单中") % {"item": _show(code)},
                    )
                elif code in mandatory:
                    self.error(
                        where,
                        _line(entry, "select"),
                        _(
                            "选定的事项 “%(item)s” 是必办事项,不需要由情形规则选定;请在事项清单中标为 mandatory: false"
                        )
                        % {"item": code},
                    )
                elif code not in select:
                    select.append(code)
            result.append(
                {
                    "when": dict(sorted(when.items(), key=lambda pair: question_order[pair[0]])),
                    "select": sorted(select, key=order.__getitem__),
                }
            )
        return result

    def dependencies(self, raw, bundle_code, line, order):
        where = _("一件事 %(bundle)s 的前置关系 dependencies") % {"bundle": bundle_code}
        if not isinstance(raw, dict):
            return {}
        graph = {}
        for item_code, prerequisites in raw.items():
            item_line = _line(raw, item_code) or line
            if not isinstance(item_code, str) or item_code not in order:
                self.error(
                    where,
                    item_line,
                    _("事项 “%(item)s” 不在本一件事的事项清单中") % {"item": _show(item_code)},
                )
                continue
            values = prerequisites if isinstance(prerequisites, list) else [prerequisites]
            clean = []
            for value in values:
                if not isinstance(value, str) or value not in order:
                    self.error(
                        where,
                        item_line,
                        _("事项 “%(item)s” 的前置事项 “%(prerequisite)s” 不在本一件事的事项清单中")
                        % {"item": item_code, "prerequisite": _show(value)},
                    )
                elif value == item_code:
                    self.error(
                        where, item_line, _("事项 “%(item)s” 不能以自身为前置事项") % {"item": item_code}
                    )
                elif value not in clean:
                    clean.append(value)
            if clean:
                graph[item_code] = sorted(clean, key=order.__getitem__)
        for cycle in _cycles(graph, order):
            self.error(
                where,
                line,
                _("前置关系形成循环(“甲 → 乙”表示甲须在乙办结后办理):%(cycle)s")
                % {"cycle": " → ".join(cycle)},
            )
        return dict(sorted(graph.items(), key=lambda pair: order[pair[0]]))

    def form(self, raw, bundle_code, line, order):
        result, places = [], []
        for index, entry, entry_line in self.entries(raw, line):
            code = _entry_code(entry, "code", index)
            where = _("一件事 %(bundle)s 的表单字段 %(code)s") % {"bundle": bundle_code, "code": code}
            if isinstance(entry, dict) and isinstance(entry.get("items"), str):
                entry = _with_lines(entry, items=[entry["items"]])
            field = self.record(entry, FIELD, where, entry_line)
            if field is None:
                continue
            places.append((field["code"], where, _line(entry) or entry_line))
            field["choices"] = self.options(entry.get("choices"), where, _line(entry, "choices"))
            if field["kind"] == FormField.Kind.CHOICE and len(field["choices"]) < 2:
                self.error(
                    where, _line(entry) or entry_line, _("选择类字段(choice)至少需要两个选项(choices)")
                )
            if field["kind"] != FormField.Kind.CHOICE and field["choices"]:
                self.error(where, _line(entry, "choices"), _("只有选择类字段(choice)才能设置选项(choices)"))
            if field["prefill"]:
                self.prefill(field["prefill"], where, _line(entry, "prefill"))
            if (field["min"] is not None or field["max"] is not None) and field["kind"] not in NUMERIC_KINDS:
                self.error(
                    where, _line(entry, "min") or _line(entry, "max"), _("只有数字类字段才能设置 min/max")
                )
            elif field["min"] is not None and field["max"] is not None and field["min"] > field["max"]:
                self.error(where, _line(entry, "min"), _("min 不能大于 max"))
            items = []
            if field["items"] is not None and not field["items"]:
                self.error(where, _line(entry, "items"), _("“items” 不能为空:请列出使用该字段的事项"))
            for item_code in field["items"] or []:
                if not isinstance(item_code, str) or item_code not in order:
                    self.error(
                        where,
                        _line(entry, "items"),
                        _("事项 “%(item)s” 不在本一件事的事项清单中") % {"item": _show(item_code)},
                    )
                elif item_code not in items:
                    items.append(item_code)
            field["items"] = sorted(items, key=order.__getitem__)
            result.append(field)
        self.duplicates(places, _("表单字段"))
        return result

    def form_rules(self, raw, bundle_code, line, form):
        """Rules between two fields of the bundle's form, both of a kind that compares (dates, or numbers)."""
        kinds = {field["code"]: field["kind"] for field in form}
        result = []
        for index, entry, entry_line in self.entries(raw, line):
            where = _("一件事 %(bundle)s 的表单规则第 %(n)s 条") % {"bundle": bundle_code, "n": index + 1}
            rule = self.record(entry, FORM_RULE, where, entry_line)
            if rule is None:
                continue
            usable = True
            for key in ("field", "other"):
                if rule[key] is not None and rule[key] not in kinds:
                    self.error(
                        where, _line(entry, key), _("表单中没有字段 “%(field)s”") % {"field": rule[key]}
                    )
                    usable = False
            if not usable or rule["field"] is None or rule["other"] is None:
                continue
            if rule["field"] == rule["other"]:
                self.error(where, _line(entry, "other"), _("规则须比较两个不同的字段"))
            elif not _comparable(kinds[rule["field"]], kinds[rule["other"]]):
                self.error(
                    where,
                    entry_line,
                    _("只能比较两个日期字段或两个数字字段:“%(field)s” 是 %(a)s,“%(other)s” 是 %(b)s")
                    % {
                        "field": rule["field"],
                        "other": rule["other"],
                        "a": kinds[rule["field"]],
                        "b": kinds[rule["other"]],
                    },
                )
            result.append(rule)
        return result

    def prefill(self, prefill, where, line):
        source, _dot, field = prefill.partition(".")
        if source not in ("enterprise", "project") or not field:
            self.error(
                where,
                line,
                _("预填来源 “%(prefill)s” 无效:应写作 enterprise.字段 或 project.字段,如 enterprise.name")
                % {"prefill": prefill},
            )
        elif field not in prefill_fields(source):
            self.error(
                where,
                line,
                _("预填来源 “%(prefill)s” 中的 “%(field)s” 不是%(model)s的字段;可用字段:%(fields)s")
                % {
                    "prefill": prefill,
                    "field": field,
                    "model": _source_label(source),
                    "fields": join_list(prefill_fields(source)),
                },
            )


def validate_catalog_data(raw, *, department_codes=None) -> dict:
    """Return `raw` normalized, or raise CatalogImportError listing every problem."""
    validator = CatalogValidator(department_codes)
    data = validator.run(raw)
    if validator.errors:
        raise CatalogImportError(validator.errors)
    return data


# -- helpers ----------------------------------------------------------------------------------------------


def _copy(value):
    if isinstance(value, list | dict):
        return type(value)()
    return value


def _entry_code(entry, key, index):
    """The code that names an entry in messages, or its position when it has none yet."""
    if isinstance(entry, dict) and isinstance(entry.get(key), str) and entry.get(key):
        return entry[key]
    return _("(第 %(n)s 项)") % {"n": index + 1}


def _with_lines(entry, **changes):
    """A copy of a loader mapping with some values replaced, keeping its line numbers."""
    copy = type(entry)(entry)
    copy.update(changes)
    for attribute in ("line", "key_lines"):
        if hasattr(entry, attribute):
            setattr(copy, attribute, getattr(entry, attribute))
    return copy


def _source_label(source):
    return _("企业信息(Enterprise)") if source == "enterprise" else _("项目信息(Project)")


def _comparable(kind, other_kind) -> bool:
    if kind == FormField.Kind.DATE:
        return other_kind == FormField.Kind.DATE
    return kind in NUMERIC_KINDS and other_kind in NUMERIC_KINDS


def _allowed_values(question):
    if question["kind"] == SituationQuestion.Kind.YES_NO:
        return ["yes", "no"]
    return [option["value"] for option in question["options"]]


def _cycles(graph, order):
    """Every distinct cycle in `graph` (item → its prerequisites), each as [a, b, ..., a] starting at its first item."""
    found, seen = [], set()
    state = {}  # code -> "active" while on the path, "done" after

    def visit(node, path):
        state[node] = "active"
        path.append(node)
        for successor in graph.get(node, []):
            if state.get(successor) == "active":
                cycle = path[path.index(successor) :]
                start = min(range(len(cycle)), key=lambda i: order.get(cycle[i], 0))
                cycle = cycle[start:] + cycle[:start]
                key = tuple(cycle)
                if key not in seen:
                    seen.add(key)
                    found.append([*cycle, cycle[0]])
            elif successor not in state:
                visit(successor, path)
        path.pop()
        state[node] = "done"

    for node in sorted(graph, key=lambda code: order.get(code, 0)):
        if node not in state:
            visit(node, [])
    return found
