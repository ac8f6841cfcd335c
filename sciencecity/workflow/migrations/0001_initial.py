from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="NumberSequence",
            fields=[
                ("key", models.CharField(max_length=80, primary_key=True, serialize=False, verbose_name="序列")),
                ("last_value", models.PositiveBigIntegerField(default=0, verbose_name="当前值")),
            ],
            options={
                "verbose_name": "编号序列",
                "verbose_name_plural": "编号序列",
            },
        ),
    ]
