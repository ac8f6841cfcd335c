from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class NumberSequence(models.Model):
    """Gap-free running numbers per key (办件编号, 证照编号, 问题编号 per year), taken under a row lock so that
    concurrent callers never share a number and a rolled-back caller leaves no hole (`numbers.next_value`)."""

    key = models.CharField(_("序列"), max_length=80, primary_key=True)
    last_value = models.PositiveBigIntegerField(_("当前值"), default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = pgettext_lazy("plural", "编号序列")

    def __str__(self):
        return f"{self.key}={self.last_value}"
