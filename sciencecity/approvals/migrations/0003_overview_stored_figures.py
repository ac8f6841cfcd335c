"""The leaders' overview at scale: working days elapsed stored on the application (filled here for the
applications concluded already, with the formula the overview used: `services.elapsed`), the index that
aggregates them, the open tasks' worklist index covering the overview's tasks by department, and the
background count snapshots."""

from django.conf import settings
from django.db import migrations, models


def fill_working_days(apps, schema_editor):
    from sciencecity.approvals.services.elapsed import fill_working_days_elapsed

    fill_working_days_elapsed(
        apps.get_model("approvals", "Application"), apps.get_model("approvals", "TaskPause")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("approvals", "0002_list_indexes"),
        ("catalog", "0002_english_descriptions"),
        ("enterprises", "0001_initial"),
        ("projects", "0001_initial"),
        ("workdays", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApplicationCountSnapshot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("taken_at", models.DateTimeField(db_index=True, verbose_name="统计时间")),
                ("counts", models.JSONField(default=list, verbose_name="办件数")),
                ("seconds", models.FloatField(default=0, verbose_name="统计用时(秒)")),
            ],
            options={
                "verbose_name": "办件统计快照",
                "verbose_name_plural": "办件统计快照",
            },
        ),
        migrations.AddField(
            model_name="application",
            name="working_days_elapsed",
            field=models.PositiveIntegerField(
                blank=True, editable=False, null=True, verbose_name="办结用时(工作日)"
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("concluded_at__isnull", False)),
                fields=["concluded_at"],
                include=("bundle", "status", "submitted_at", "working_days_elapsed"),
                name="application_concluded_idx",
            ),
        ),
        migrations.RemoveIndex(
            model_name="reviewtask",
            name="task_open_worklist_idx",
        ),
        migrations.AddIndex(
            model_name="reviewtask",
            index=models.Index(
                condition=models.Q(("status__in", ["waiting", "pending", "in_review", "supplement"])),
                fields=["department", "promised_deadline", "id"],
                include=("status", "warning_level"),
                name="task_open_worklist_idx",
            ),
        ),
        migrations.RunPython(fill_working_days, migrations.RunPython.noop, elidable=True),
    ]
