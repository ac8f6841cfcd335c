"""The system category of the problems that poor service ratings open (`lifecycle.report_poor_rating`): five
working days, verified by the rater (回访), no photos required. Administrators may rename it or change its
deadline; its code is what the platform looks for."""

from django.db import migrations

CODE = "service-rating"


def create(apps, schema_editor):
    Category = apps.get_model("problems", "ProblemCategory")
    Category.objects.get_or_create(
        code=CODE,
        defaults={
            "name": "服务差评整改",
            "name_en": "Poor service rating follow-up",
            "description": "企业对办件评价 2 分及以下时自动生成,由牵头部门整改,评价人回访核查。",
            "deadline_days": 5,
            "verifier": "reporter",
            "evidence_required": False,
            "reopen_days": 15,
            "order": 900,
        },
    )


def remove(apps, schema_editor):
    Category = apps.get_model("problems", "ProblemCategory")
    Category.objects.filter(code=CODE, problems__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0002_problem_category_time_idx"),
    ]

    operations = [migrations.RunPython(create, remove)]
