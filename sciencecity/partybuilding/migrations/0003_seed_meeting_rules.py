"""The usual requirements of 三会一课 and 主题党日 (administrators adjust them in the admin)."""

from django.db import migrations

BASIC = ["branch", "general_branch"]
RULES = [
    ("theme_day", 1, BASIC),
    ("committee_meeting", 1, BASIC),
    ("group_meeting", 1, ["group"]),
    ("general_meeting", 3, BASIC),
    ("party_lecture", 3, BASIC),
]


def seed(apps, schema_editor):
    MeetingRule = apps.get_model("partybuilding", "MeetingRule")
    for kind, every, kinds in RULES:
        MeetingRule.objects.get_or_create(kind=kind, defaults={"every_months": every, "organization_kinds": kinds})


class Migration(migrations.Migration):
    dependencies = [("partybuilding", "0002_meeting_rules")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
