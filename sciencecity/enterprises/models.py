from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet, is_civil_servant

from .validators import validate_credit_code


class EnterpriseQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if is_civil_servant(user):
            return self.all()
        if user.is_authenticated and user.enterprise_id:
            return self.filter(pk=user.enterprise_id)
        return self.none()


class Enterprise(models.Model):
    name = models.CharField(_("企业名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=60)
    industry = models.CharField(_("所属行业"), max_length=100, blank=True)
    is_high_tech = models.BooleanField(_("高新技术企业"), default=False, db_index=True)
    is_tech_based = models.BooleanField(_("科技型企业"), default=False, db_index=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = pgettext_lazy("plural", "企业")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="enterprise_name_idx")]

    def __str__(self):
        return self.name
