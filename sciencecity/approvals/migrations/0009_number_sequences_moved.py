"""The running numbers move to the workflow core (`workflow.NumberSequence`), shared by every numbered
record: each sequence's value copied, then the approvals table dropped."""

from django.db import migrations


def copy(source_app, target_app):
    def run(apps, schema_editor):
        Source = apps.get_model(source_app, "NumberSequence")
        Target = apps.get_model(target_app, "NumberSequence")
        Target.objects.all().delete()  # the source is the one in use; the target may be a stale copy
        Target.objects.bulk_create(
            [Target(key=row.key, last_value=row.last_value) for row in Source.objects.all()],
            batch_size=500,
        )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0008_notifications_moved"),
        ("workflow", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy("approvals", "workflow"), copy("workflow", "approvals")),
        migrations.DeleteModel(name="NumberSequence"),
    ]
