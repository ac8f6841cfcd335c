"""Notifications written in English beside the Chinese text. Rows sent before keep a blank English text and
are shown in Chinese (`Notification.shown_title`)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0004_search_trigram_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="body_en",
            field=models.TextField(blank=True, verbose_name="英文内容"),
        ),
        migrations.AddField(
            model_name="notification",
            name="title_en",
            field=models.CharField(blank=True, max_length=200, verbose_name="英文标题"),
        ),
    ]
