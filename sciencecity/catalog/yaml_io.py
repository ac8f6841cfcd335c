"""A whole catalog version as one YAML file: read it (`parse_catalog`) and write it (`export_catalog`).

The file is meant to be written and reviewed by hand, so materials and items are referred to by their codes,
shorthands are allowed where a default is the common case, and every problem is reported at once with its
line number (see `validators.py`). Exporting a version, importing the result and exporting again gives the
same bytes.

Format 1, in short (every key not marked "required" may be left out; the defaults are shown)::

    format: 1
    version:
      label: 2026 年版                     # required
      valid_from: 2026-01-01               # when published without another date; default: the publishing day
      note: ""
    materials:
      - code: business-licence             # required; letters, digits, "-" and "_"
        name: 营业执照                      # required
        name_en: Business licence
        description: ""
        description_en: ""
        source: enterprise                 # upload | enterprise | project | certificate   (default upload)
        source_field: credit_code          # source enterprise/project: a field of Enterprise/Project
        certificate_code: ""               # source certificate: a certificate code that some item issues
        formats: []                        # lower-case file extensions, e.g. [pdf, jpg]
        max_size_mb: 20
      - {code: funding-pledge, name: 建设资金已落实承诺书, formats: [pdf, jpg], max_size_mb: 5}
    items:
      - code: construction-permit          # required
        name: 建筑工程施工许可证核发          # required
        name_en: Construction permit
        description: ""
        department: housing                # required; a Department code in the database
        stage: construction_permit         # required; land_planning | engineering_permit |
                                           #   construction_permit | completion | parallel
        line: main                         # main | auxiliary | technical_review
        kind: license                      # license | filing | confirmation | technical_review |
                                           #   public_service | other
        legal_limit_days: 7                # working days; null: the law sets no limit
        promised_limit_days: 5             # required; working days, 0 = on the spot (即办)
        pledge_allowed: false              # 告知承诺制
        certificate: {code: construction-permit, name: 建筑工程施工许可证, name_en: Construction permit}
        steps:
          - {name: 受理, name_en: Intake, limit_days: 1}
        materials:
          - business-licence               # a code alone: required, no gap, no pledge
          - {material: funding-pledge, required: true, gap_tolerated: true, pledge_allowed: true}
        replaces: []                       # a merged review (三评合一): the codes of the separate items (at
                                           #   least two) its one review replaces, measured against it
      - {code: civil-defense-basement, name: 防空地下室审批, department: civil_defense,
         stage: engineering_permit, promised_limit_days: 10}
    bundles:
      - code: start-construction           # required
        name: 开工一件事                     # required
        name_en: Start construction
        description: ""
        description_en: ""
        lead_department: housing           # required
        promised_limit_days: 15            # required
        intake_limit_days: 1
        licence: null                      # 一业一证: {code, name, name_en} of the industry licence
                                           #   (行业综合许可证) issued at unified delivery, listing the
                                           #   permits granted; null: none
        target_date_label: ""              # e.g. 交地日期: the applicant names the day all results are
        target_date_label_en: ""           #   delivered on (checked against the limits above); "": none
        items:                             # required; a code alone is a mandatory item
          - {item: construction-permit, mandatory: true}
          - {item: civil-defense-basement, mandatory: false}    # situational: selected by a rule
        questions:
          - code: new_civil_building
            text: 是否新建民用建筑?
            text_en: Is it a new civil building?
            help_text: ""
            help_text_en: ""
            kind: yes_no                   # yes_no (answers yes/no) | single | multiple
            options: []                    # single/multiple: [{value: report, label: 报告书, label_en: Report}]
        rules:                             # when every condition holds, the situational items are selected
          - when: {new_civil_building: ['yes']}
            select: [civil-defense-basement]
        dependencies:                      # item: the items that must be approved before it
          construction-permit: [civil-defense-basement]
        form:                              # the merged form: each field asked once
          - code: project_name
            label: 项目名称
            label_en: Project name
            kind: text                     # text | textarea | number | decimal | date | choice | boolean
            required: true
            choices: []                    # kind choice: [{value: ..., label: ..., label_en: ...}]
            prefill: project.name          # enterprise.<field> or project.<field>
            items: [construction-permit]   # required; the items that use the field
          - code: contract_price
            label: 合同价款(万元)
            kind: decimal
            required: true
            min: 0                         # number/decimal: bounds, both included (optional)
            max: 10000000
            items: [construction-permit]
          - {code: planned_start, label: 计划开工日期, kind: date, required: true, items: [construction-permit]}
          - {code: planned_completion, label: 计划竣工日期, kind: date, required: true, items: [construction-permit]}
        form_rules:                        # between two fields (two dates, or two numbers), when both are filled
          - {field: planned_completion, op: gte, other: planned_start, message: 计划竣工日期不能早于计划开工日期}
                                           # op: gt | gte | lt | lte; message_en: the English message

`yes`/`no` are plain text here (as in YAML 1.2); only `true`/`false` are booleans.
"""

import datetime
import re

import yaml
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from .models import (
    BundleItem,
    FormField,
    FormRule,
    ItemDependency,
    ItemMaterial,
    ItemStep,
    ReplacedItem,
    SituationQuestion,
    SituationRule,
)
from .validators import FORMAT, CatalogImportError, validate_catalog_data

__all__ = [
    "CatalogImportError",
    "dump_catalog",
    "export_catalog",
    "load_yaml",
    "parse_catalog",
    "validate_version",
    "version_to_data",
]

HEADER = (
    "# Science City service catalog (科学城事项目录), format 1.\n"
    "# The format is described in sciencecity/catalog/yaml_io.py; import with `manage.py catalog import FILE`.\n"
)


# -- reading ----------------------------------------------------------------------------------------------


class LineDict(dict):
    """A mapping read from YAML that remembers its line and the line of each key (for messages)."""

    line = None
    key_lines: dict = {}


class LineList(list):
    """A sequence read from YAML that remembers its line and the line of each entry."""

    line = None
    item_lines: list = []


class _Loader(yaml.SafeLoader):
    """Safe loading with line numbers, duplicate-key detection and YAML 1.2 booleans (`yes` is text)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.problems: list[str] = []


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    data = LineDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            loader.problems.append(
                _("YAML 结构错误(第 %(line)s 行):映射的键不能是列表或映射") % {"line": line}
            )
            continue
        if key in data:
            loader.problems.append(
                _("YAML 结构错误(第 %(line)s 行):键 “%(key)s” 重复出现(第一次在第 %(first)s 行)")
                % {"line": line, "key": key, "first": data.key_lines[key]}
            )
            continue
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line
    return data


def _construct_sequence(loader, node):
    data = LineList(loader.construct_object(child, deep=True) for child in node.value)
    data.line = node.start_mark.line + 1
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    return data


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load_yaml(text_or_stream):
    """The YAML document as data whose mappings and lists know their lines; syntax errors raise."""
    text = text_or_stream.read() if hasattr(text_or_stream, "read") else text_or_stream
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CatalogImportError(
                [_("文件不是 UTF-8 编码(第 %(position)s 个字节无法识别)") % {"position": error.start + 1}]
            ) from None
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(part for part in (error.context, error.problem) if part)
        if mark is not None:
            message = _("YAML 语法错误(第 %(line)s 行,第 %(column)s 列):%(problem)s") % {
                "line": mark.line + 1,
                "column": mark.column + 1,
                "problem": problem,
            }
        else:
            message = _("YAML 语法错误:%(problem)s") % {"problem": problem}
        raise CatalogImportError([message]) from None
    except yaml.YAMLError as error:
        raise CatalogImportError([_("YAML 语法错误:%(problem)s") % {"problem": error}]) from None
    finally:
        loader.dispose()
    if loader.problems:
        raise CatalogImportError(loader.problems)
    return data


def parse_catalog(text_or_stream, *, department_codes=None) -> dict:
    """Read a catalog file (text, bytes or a file object) into validated, normalized plain data.

    Raises CatalogImportError with every problem found. `department_codes` replaces the database's
    departments (for tests and tools); by default the codes of Department rows count.
    """
    return validate_catalog_data(load_yaml(text_or_stream), department_codes=department_codes)


# -- from the database ------------------------------------------------------------------------------------


def version_to_data(version) -> dict:
    """A catalog version as plain data of the file's shape, every key present (not validated).

    Orders are those of the file: rows by position (then creation), and lists without an order of their own
    (rule selections, form-field items, dependencies) by the bundle's item order, so the result does not
    depend on the database.
    """
    data = {
        "format": FORMAT,
        "version": {"label": version.label, "valid_from": version.valid_from, "note": version.note},
        "materials": [
            {
                "code": material.code,
                "name": material.name,
                "name_en": material.name_en,
                "description": material.description,
                "description_en": material.description_en,
                "source": material.source,
                "source_field": material.source_field,
                "certificate_code": material.certificate_code,
                "formats": list(material.formats or []),
                "max_size_mb": material.max_size_mb,
            }
            for material in version.materials.order_by("id")
        ],
        "items": [],
        "bundles": [],
    }
    items = (
        version.items.select_related("department")
        .order_by("id")
        .prefetch_related(
            Prefetch("steps", queryset=ItemStep.objects.order_by("position", "id")),
            Prefetch(
                "item_materials", queryset=ItemMaterial.objects.select_related("material").order_by("id")
            ),
            Prefetch(
                "replaced_links",
                queryset=ReplacedItem.objects.select_related("replaced").order_by("position", "id"),
            ),
        )
    )
    for item in items:
        certificate = None
        if item.certificate_code or item.certificate_name:
            certificate = {
                "code": item.certificate_code,
                "name": item.certificate_name,
                "name_en": item.certificate_name_en,
            }
        data["items"].append(
            {
                "code": item.code,
                "name": item.name,
                "name_en": item.name_en,
                "description": item.description,
                "department": item.department.code,
                "stage": item.stage,
                "line": item.line,
                "kind": item.kind,
                "legal_limit_days": item.legal_limit_days,
                "promised_limit_days": item.promised_limit_days,
                "pledge_allowed": item.pledge_allowed,
                "certificate": certificate,
                "steps": [
                    {"name": step.name, "name_en": step.name_en, "limit_days": step.limit_days}
                    for step in item.steps.all()
                ],
                "materials": [
                    {
                        "material": use.material.code,
                        "required": use.required,
                        "gap_tolerated": use.gap_tolerated,
                        "pledge_allowed": use.pledge_allowed,
                    }
                    for use in item.item_materials.all()
                ],
                "replaces": [link.replaced.code for link in item.replaced_links.all()],
            }
        )
    bundles = (
        version.bundles.select_related("lead_department")
        .order_by("id")
        .prefetch_related(
            Prefetch(
                "bundle_items", queryset=BundleItem.objects.select_related("item").order_by("position", "id")
            ),
            Prefetch("questions", queryset=SituationQuestion.objects.order_by("position", "id")),
            Prefetch(
                "rules", queryset=SituationRule.objects.prefetch_related("items").order_by("position", "id")
            ),
            Prefetch(
                "dependencies",
                queryset=ItemDependency.objects.select_related("item", "depends_on").order_by("id"),
            ),
            Prefetch("form_rules", queryset=FormRule.objects.order_by("position", "id")),
            Prefetch(
                "form_fields", queryset=FormField.objects.prefetch_related("items").order_by("position", "id")
            ),
        )
    )
    for bundle in bundles:
        data["bundles"].append(_bundle_data(bundle))
    return data


def _bundle_data(bundle) -> dict:
    uses = list(bundle.bundle_items.all())
    order = {use.item.code: position for position, use in enumerate(uses)}
    questions = list(bundle.questions.all())
    question_order = {question.code: position for position, question in enumerate(questions)}

    def by_bundle_order(codes):
        return sorted(codes, key=lambda code: (order.get(code, len(order)), code))

    dependencies: dict[str, list[str]] = {}
    for dependency in bundle.dependencies.all():
        dependencies.setdefault(dependency.item.code, []).append(dependency.depends_on.code)
    return {
        "code": bundle.code,
        "name": bundle.name,
        "name_en": bundle.name_en,
        "description": bundle.description,
        "description_en": bundle.description_en,
        "lead_department": bundle.lead_department.code,
        "promised_limit_days": bundle.promised_limit_days,
        "intake_limit_days": bundle.intake_limit_days,
        "licence": {
            "code": bundle.licence_code,
            "name": bundle.licence_name,
            "name_en": bundle.licence_name_en,
        }
        if bundle.licence_code or bundle.licence_name
        else None,
        "target_date_label": bundle.target_date_label,
        "target_date_label_en": bundle.target_date_label_en,
        "items": [{"item": use.item.code, "mandatory": use.mandatory} for use in uses],
        "questions": [
            {
                "code": question.code,
                "text": question.text,
                "text_en": question.text_en,
                "help_text": question.help_text,
                "help_text_en": question.help_text_en,
                "kind": question.kind,
                "options": _options_data(question.options),
            }
            for question in questions
        ],
        "rules": [
            {
                "when": _ordered_conditions(rule.conditions, question_order),
                "select": by_bundle_order(item.code for item in rule.items.all()),
            }
            for rule in bundle.rules.all()
        ],
        "dependencies": {code: by_bundle_order(dependencies[code]) for code in by_bundle_order(dependencies)},
        "form": [
            {
                "code": field.code,
                "label": field.label,
                "label_en": field.label_en,
                "kind": field.kind,
                "required": field.required,
                "choices": _options_data(field.choices),
                "prefill": field.prefill,
                "min": field.min_value,
                "max": field.max_value,
                "items": by_bundle_order(item.code for item in field.items.all()),
            }
            for field in bundle.form_fields.all()
        ],
        "form_rules": [
            {
                "field": rule.field,
                "op": rule.operator,
                "other": rule.other,
                "message": rule.message,
                "message_en": rule.message_en,
            }
            for rule in bundle.form_rules.all()
        ],
    }


def _options_data(options):
    """Options as stored (JSON) to the file's shape; anything malformed passes through for the validator."""
    if not isinstance(options, list):
        return options
    result = []
    for option in options:
        if isinstance(option, dict):
            result.append(
                {
                    "value": option.get("value"),
                    "label": option.get("label"),
                    "label_en": option.get("label_en", ""),
                }
            )
        else:
            result.append(option)
    return result


def _ordered_conditions(conditions, question_order):
    # PostgreSQL's jsonb does not keep key order, so the file's order is rebuilt from the questions.
    if not isinstance(conditions, dict):
        return conditions
    return dict(
        sorted(
            conditions.items(), key=lambda pair: (question_order.get(pair[0], len(question_order)), pair[0])
        )
    )


def validate_version(version) -> dict:
    """Validate a version stored in the database (a draft edited in the admin) with the file's validators."""
    return validate_catalog_data(version_to_data(version))


# -- writing ----------------------------------------------------------------------------------------------


class _Flow(list):
    """A list written on one line: [a, b]."""


class _FlowMap(dict):
    """A mapping written on one line: {a: 1, b: 2}."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # Indent list entries under their key, as people write them.
        return super().increase_indent(flow, False)


def _represent_str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(
    _Flow, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)
)
_Dumper.add_representer(
    _FlowMap, lambda dumper, value: dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)
)


def _flow(value):
    return _Flow(value) if isinstance(value, list) else value


def _optional(target, key, value):
    if value not in ("", None, [], {}):
        target[key] = value


def _option_out(option):
    if not isinstance(option, dict):  # a malformed draft row: written as it is, for the author to fix
        return option
    out = _FlowMap(value=option["value"], label=option["label"])
    _optional(out, "label_en", option.get("label_en"))
    return out


def _material_out(material):
    out = {"code": material["code"], "name": material["name"]}
    _optional(out, "name_en", material["name_en"])
    _optional(out, "description", material["description"])
    _optional(out, "description_en", material["description_en"])
    out["source"] = material["source"]
    _optional(out, "source_field", material["source_field"])
    _optional(out, "certificate_code", material["certificate_code"])
    out["formats"] = _Flow(material["formats"])
    out["max_size_mb"] = material["max_size_mb"]
    return out


def _item_out(item):
    out = {"code": item["code"], "name": item["name"]}
    _optional(out, "name_en", item["name_en"])
    _optional(out, "description", item["description"])
    for key in (
        "department",
        "stage",
        "line",
        "kind",
        "legal_limit_days",
        "promised_limit_days",
        "pledge_allowed",
    ):
        out[key] = item[key]
    if item["certificate"]:
        certificate = item["certificate"]
        out["certificate"] = _FlowMap(code=certificate["code"], name=certificate["name"])
        _optional(out["certificate"], "name_en", certificate.get("name_en"))
    steps = []
    for step in item["steps"]:
        step_out = _FlowMap(name=step["name"])
        _optional(step_out, "name_en", step["name_en"])
        _optional(step_out, "limit_days", step["limit_days"])
        steps.append(step_out)
    _optional(out, "steps", steps)
    uses = []
    for use in item["materials"]:
        flags = _FlowMap(material=use["material"])
        if not use["required"]:
            flags["required"] = False
        if use["gap_tolerated"]:
            flags["gap_tolerated"] = True
        if use["pledge_allowed"]:
            flags["pledge_allowed"] = True
        uses.append(flags if len(flags) > 1 else use["material"])
    _optional(out, "materials", uses)
    if item.get("replaces"):
        out["replaces"] = _Flow(item["replaces"])
    return out


def _bundle_out(bundle):
    out = {"code": bundle["code"], "name": bundle["name"]}
    _optional(out, "name_en", bundle["name_en"])
    _optional(out, "description", bundle["description"])
    _optional(out, "description_en", bundle["description_en"])
    for key in ("lead_department", "promised_limit_days", "intake_limit_days"):
        out[key] = bundle[key]
    _optional(out, "target_date_label", bundle.get("target_date_label"))
    _optional(out, "target_date_label_en", bundle.get("target_date_label_en"))
    if bundle.get("licence"):
        licence = bundle["licence"]
        out["licence"] = _FlowMap(code=licence["code"], name=licence["name"])
        _optional(out["licence"], "name_en", licence.get("name_en"))
    out["items"] = [_FlowMap(item=use["item"], mandatory=use["mandatory"]) for use in bundle["items"]]
    questions = []
    for question in bundle["questions"]:
        question_out = {"code": question["code"], "text": question["text"]}
        _optional(question_out, "text_en", question["text_en"])
        _optional(question_out, "help_text", question["help_text"])
        _optional(question_out, "help_text_en", question["help_text_en"])
        question_out["kind"] = question["kind"]
        _optional(question_out, "options", [_option_out(option) for option in question["options"]])
        questions.append(question_out)
    _optional(out, "questions", questions)
    rules = [
        {
            "when": _FlowMap({code: _flow(values) for code, values in rule["when"].items()})
            if isinstance(rule["when"], dict)
            else rule["when"],
            "select": _Flow(rule["select"]),
        }
        for rule in bundle["rules"]
    ]
    _optional(out, "rules", rules)
    _optional(out, "dependencies", {code: _Flow(codes) for code, codes in bundle["dependencies"].items()})
    fields = []
    for field in bundle["form"]:
        field_out = {"code": field["code"], "label": field["label"]}
        _optional(field_out, "label_en", field["label_en"])
        field_out["kind"] = field["kind"]
        field_out["required"] = field["required"]
        _optional(field_out, "choices", [_option_out(option) for option in field["choices"]])
        _optional(field_out, "prefill", field["prefill"])
        if field["min"] is not None:
            field_out["min"] = field["min"]
        if field["max"] is not None:
            field_out["max"] = field["max"]
        field_out["items"] = _Flow(field["items"])
        fields.append(field_out)
    _optional(out, "form", fields)
    rules = []
    for rule in bundle["form_rules"]:
        rule_out = {
            "field": rule["field"],
            "op": rule["op"],
            "other": rule["other"],
            "message": rule["message"],
        }
        _optional(rule_out, "message_en", rule["message_en"])
        rules.append(rule_out)
    _optional(out, "form_rules", rules)
    return out


def dump_catalog(data) -> str:
    """Write normalized catalog data as YAML, in the canonical layout that `export_catalog` produces."""
    version = {"label": data["version"]["label"]}
    valid_from = data["version"].get("valid_from")
    if isinstance(valid_from, datetime.date):
        version["valid_from"] = valid_from
    _optional(version, "note", data["version"].get("note"))
    document = {
        "format": FORMAT,
        "version": version,
        "materials": [_material_out(material) for material in data["materials"]],
        "items": [_item_out(item) for item in data["items"]],
        "bundles": [_bundle_out(bundle) for bundle in data["bundles"]],
    }
    text = yaml.dump(
        document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100_000, default_flow_style=False
    )
    # A blank line before each top-level section and each material, item and bundle, for the reader.
    text = re.sub(r"\n(?=[a-z]|  - code: )", "\n\n", text)
    text = re.sub(r"^([a-z_]+:)\n\n", r"\1\n", text, flags=re.MULTILINE)
    return HEADER + "\n" + text


def export_catalog(version) -> str:
    """The YAML file of a stored version; importing it gives a version that exports to the same text."""
    return dump_catalog(version_to_data(version))
