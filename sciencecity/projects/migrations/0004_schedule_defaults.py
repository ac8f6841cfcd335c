"""The project types and warning rules every zone starts with, and a first history row for the phase of each
project registered before the history was kept (dated the day it was registered)."""

from decimal import Decimal

from django.db import migrations

TYPES = {
    "building": (
        "房屋建筑类",
        "Buildings",
        (
            ("land", "用地", "Land", "land"),
            ("start", "开工", "Construction start", "start"),
            ("foundation", "基础完工", "Foundation completed", ""),
            ("topping-out", "主体封顶", "Topping out", ""),
            ("acceptance", "竣工验收", "Completion acceptance", "completion"),
            ("operation", "投用", "In operation", "operation"),
        ),
    ),
    "linear": (
        "道路隧道管网类",
        "Roads, tunnels and pipelines",
        (
            ("land", "用地", "Land", "land"),
            ("start", "开工", "Construction start", "start"),
            ("breakthrough", "主体贯通", "Main works through", ""),
            ("acceptance", "竣工验收", "Completion acceptance", "completion"),
            ("operation", "通车投用", "Open to traffic", "operation"),
        ),
    ),
}
RULES = {
    "start_delay": (Decimal("0"), Decimal("3"), True),
    "investment_lag": (Decimal("10"), Decimal("30"), True),
    "report_missing": (Decimal("1"), None, True),
    "overdue_problem": (Decimal("1"), None, True),
    "milestone_delay": (Decimal("1"), Decimal("6"), False),
}


def forwards(apps, schema_editor):
    ProjectType = apps.get_model("projects", "ProjectType")
    MilestoneKind = apps.get_model("projects", "MilestoneKind")
    WarningRule = apps.get_model("projects", "WarningRule")
    Project = apps.get_model("projects", "Project")
    PhaseChange = apps.get_model("projects", "PhaseChange")
    for order, (code, (name, name_en, milestones)) in enumerate(TYPES.items()):
        project_type, created = ProjectType.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": order}
        )
        if created:
            for index, (kind, label, label_en, mark) in enumerate(milestones):
                MilestoneKind.objects.create(
                    project_type=project_type, code=kind, name=label, name_en=label_en, marks=mark, order=index
                )
    for measure, (yellow, red, active) in RULES.items():
        WarningRule.objects.get_or_create(
            measure=measure, defaults={"yellow_from": yellow, "red_from": red, "is_active": active}
        )
    rows = Project.objects.exclude(pk__in=PhaseChange.objects.values("project_id")).values_list(
        "pk", "phase", "created_at"
    )
    PhaseChange.objects.bulk_create(
        (PhaseChange(project_id=pk, from_phase="", to_phase=phase, changed_on=created.date()) for pk, phase, created in rows.iterator()),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [("projects", "0003_schedule_escort_reports")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
