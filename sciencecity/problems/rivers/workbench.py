"""The rivers' workbench card (registered in `ProblemsConfig.ready`): for the departments that enter readings,
the sections still waiting for last month's reading and those whose latest month missed the target."""

import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.accounts.workbench import card
from sciencecity.accounts.workbench import count as _count
from sciencecity.workdays import clock

from . import services, status
from .models import WaterReading


@card(52)
def water_quality_card(user):
    sections = list(services.sections_recorded_by(user))
    if not sections:
        return None
    last_month = (clock.today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    entered = set(
        WaterReading.objects.filter(section__in=sections, month=last_month).values_list(
            "section_id", flat=True
        )
    )
    found = status.statuses(sections)
    missed = sum(1 for row in found.values() if row.margin is not None and row.margin < 0 and not row.stale)
    url = reverse("problems:sections")
    return {
        "title": _("河流水质监测"),
        "url": url,
        "description": _("本部门负责的监测断面:每月录入水质类别和主要指标,对比考核目标。"),
        "counts": [
            _count(
                _("待录入上月数据的断面"),
                len([s for s in sections if s.pk not in entered]),
                reverse("problems:import_readings"),
            ),
            _count(_("最新月份未达标的断面"), missed, f"{url}?verdict=missed"),
        ],
    }
