"""Copy every notification of approvals (foreign keys to an application and a task) into the generic table:
the same ids, texts, kinds, dedupe keys, dates and read state; the subject is the task when there is one, else
the application, else nothing. Batched (a server-side cursor on PostgreSQL, bulk INSERTs), so a large inbox
is copied in bounded memory; the id sequence is then moved past the copied ids (PostgreSQL does not advance
it for explicit ids; SQLite does by itself, and `sequence_reset_sql` says nothing there)."""

from django.core.management.color import no_style
from django.db import migrations
from django.db.models import Q

BATCH = 2000
COPIED = ["id", "recipient_id", "kind", "title", "body", "title_en", "body_en", "dedupe_key", "created_at", "read_at"]


def _content_type(apps, db, model):
    ContentType = apps.get_model("contenttypes", "ContentType")
    # On a database migrated before the content types were ever created, the row may not exist yet.
    return ContentType.objects.using(db).get_or_create(app_label="approvals", model=model)[0]


def _reset_sequence(schema_editor, model):
    for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [model]):
        schema_editor.execute(sql)


def copy_forward(apps, schema_editor):
    Old = apps.get_model("approvals", "Notification")
    New = apps.get_model("notifications", "Notification")
    db = schema_editor.connection.alias
    if not Old.objects.using(db).exists():
        return
    application_type = _content_type(apps, db, "application")
    task_type = _content_type(apps, db, "reviewtask")
    batch = []
    rows = Old.objects.using(db).order_by("pk").values(*COPIED, "application_id", "task_id")
    for row in rows.iterator(chunk_size=BATCH):
        application_id, task_id = row.pop("application_id"), row.pop("task_id")
        if task_id is not None:
            row.update(about_type_id=task_type.pk, about_id=task_id)
        elif application_id is not None:
            row.update(about_type_id=application_type.pk, about_id=application_id)
        batch.append(New(**row))
        if len(batch) >= BATCH:
            New.objects.using(db).bulk_create(batch)
            batch = []
    New.objects.using(db).bulk_create(batch)
    _reset_sequence(schema_editor, New)


def copy_back(apps, schema_editor):
    """The way back (to approvals 0007): approvals notifications get their foreign keys again (a task's
    application from the task); notifications about anything else have no place there and are left out."""
    Old = apps.get_model("approvals", "Notification")
    New = apps.get_model("notifications", "Notification")
    ReviewTask = apps.get_model("approvals", "ReviewTask")
    db = schema_editor.connection.alias
    if not New.objects.using(db).exists():
        return
    application_type = _content_type(apps, db, "application")
    task_type = _content_type(apps, db, "reviewtask")
    subjects = New.objects.using(db).filter(
        Q(about_type__in=[application_type, task_type]) | Q(about_type__isnull=True)
    )
    batch = []
    rows = subjects.order_by("pk").values(*COPIED, "about_type_id", "about_id")
    for row in rows.iterator(chunk_size=BATCH):
        about_type_id, about_id = row.pop("about_type_id"), row.pop("about_id")
        batch.append(
            Old(
                **row,
                application_id=about_id if about_type_id == application_type.pk else None,
                task_id=about_id if about_type_id == task_type.pk else None,
            )
        )
        if len(batch) >= BATCH:
            _copy_back_batch(Old, ReviewTask, db, batch)
            batch = []
    _copy_back_batch(Old, ReviewTask, db, batch)
    _reset_sequence(schema_editor, Old)


def _copy_back_batch(Old, ReviewTask, db, batch):
    applications = dict(
        ReviewTask.objects.using(db)
        .filter(pk__in={row.task_id for row in batch if row.task_id})
        .values_list("pk", "application_id")
    )
    for row in batch:
        if row.task_id:
            row.application_id = applications[row.task_id]
    Old.objects.using(db).bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("approvals", "0007_notification_kind_and_event_times"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(copy_forward, copy_back, elidable=True)]
