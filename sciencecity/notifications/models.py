"""A notification: an in-app message to one person, about any object (or about nothing in particular).

The subject is a generic relation (`about_type`, `about_id`, `about`), so any app can notify about its own rows
without this app knowing them; an app whose rows are subjects declares a `GenericRelation` to `Notification`
so that deleting a row deletes the notifications about it, as a foreign key with CASCADE did.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet
from sciencecity.i18n import in_language
from sciencecity.workdays import clock

from .kinds import kind_label


class NotificationQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Each person reads their own notifications, whatever their role."""
        return self.filter(recipient=user) if user.is_authenticated else self.none()

    def unread(self):
        return self.filter(read_at__isnull=True)

    def about_model(self, model):
        """Notifications about any row of `model` (a model class or instance)."""
        return self.filter(about_type=ContentType.objects.get_for_model(model))

    def about(self, obj):
        """Notifications about `obj` itself (not about the rows that hang off it)."""
        return self.about_model(obj).filter(about_id=obj.pk)

    def about_any(self, model, ids):
        """Notifications about any of the rows of `model` whose ids are `ids` (a list or a subquery)."""
        return self.about_model(model).filter(about_id__in=ids)


class Notification(models.Model):
    """An in-app message to one person about an event they must know of."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notifications_inbox_idx
    )
    kind = models.CharField(_("类型"), max_length=40)
    # Written in both languages when sent (services), shown in the reader's: `shown_title`.
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    title_en = models.CharField(_("英文标题"), max_length=200, blank=True)
    body_en = models.TextField(_("英文内容"), blank=True)
    # The subject. Empty for a notification about nothing in particular: the platform has always allowed
    # one (notifications sent before subjects were generic may have none), and a data migration must not
    # drop rows. Both columns are empty or both are set (notifications_about_whole).
    about_type = models.ForeignKey(
        ContentType,
        verbose_name=_("对象类型"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # notifications_about_idx
    )
    about_id = models.PositiveBigIntegerField(_("对象编号"), null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    dedupe_key = models.CharField(
        _("去重键"),
        max_length=120,
        blank=True,
        help_text=_("同一接收人同一键只通知一次,使后台任务可重复执行"),
    )
    created_at = models.DateTimeField(_("时间"), default=clock.now, editable=False)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = pgettext_lazy("plural", "通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notifications_dedupe_unique",
            ),
            models.CheckConstraint(
                condition=Q(about_type__isnull=True, about_id__isnull=True)
                | Q(about_type__isnull=False, about_id__isnull=False),
                name="notifications_about_whole",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notifications_inbox_idx"),
            # One kind of one person's notifications: the unread count per kind (a GROUP BY that reads only
            # this index), the latest of a kind, the list filtered by kind, marking a kind read.
            models.Index(
                fields=["recipient", "kind", "read_at", "-created_at"], name="notifications_kind_idx"
            ),
            # Everything about one object: the deletion cascade of a subject, "already warned about this".
            models.Index(fields=["about_type", "about_id"], name="notifications_about_idx"),
        ]

    def __str__(self):
        return f"{self.recipient} {self.title}"

    @property
    def shown_title(self) -> str:
        """The title in the active language: English where it was written in English (rows sent before
        notifications were bilingual have only the Chinese text)."""
        return in_language(self.title, self.title_en)

    @property
    def shown_body(self) -> str:
        """The body in the active language, like `shown_title`."""
        return in_language(self.body, self.body_en)

    @property
    def kind_label(self) -> str:
        """The name of the notification's kind in the active language (`kinds.kind_label`)."""
        return kind_label(self.kind)
