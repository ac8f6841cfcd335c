"""What the readings tell people: a section whose month misses its target tells the heads of its department
(who answer for it) — registered with the notifications in `ProblemsConfig.ready`, with the section's page as
the link."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.notifications import kinds, subjects
from sciencecity.notifications.services import notify
from sciencecity.notifications.subjects import Link

from .models import MonitoringSection
from .standard import class_label

# The rivers' audited actions, by name in the trail.
AUDITED = {
    "save_river": gettext_lazy("保存河流"),
    "save_section": gettext_lazy("保存监测断面"),
    "record_water_reading": gettext_lazy("录入水质监测数据"),
    "correct_water_reading": gettext_lazy("更正水质监测数据"),
    "import_water_readings": gettext_lazy("导入水质监测数据"),
}


def rivers_action_name(action: str) -> str | None:
    app, _dot, name = action.partition(".")
    return str(AUDITED[name]) if app == "problems" and name in AUDITED else None


class WaterNoticeKind(models.TextChoices):
    TARGET_MISSED = "water_target_missed", gettext_lazy("断面水质未达标")


def target_missed(section, reading) -> None:
    from ..services.people import department_heads

    def compose():
        return (
            _("%(section)s水质未达到考核目标") % {"section": section.display_name},
            _(
                "%(river)s%(section)s %(year)d年%(month)d月水质为%(class)s,考核目标为%(target)s,请组织排查整改。"
            )
            % {
                "river": section.river.display_name,
                "section": section.display_name,
                "year": reading.month.year,
                "month": reading.month.month,
                "class": class_label(reading.water_class),
                "target": class_label(section.target_class),
            },
        )

    notify(department_heads(section.department_id), WaterNoticeKind.TARGET_MISSED, compose, about=section)


def section_links(user, sections) -> dict[int, Link]:
    return {
        section.pk: Link(reverse("problems:section", args=[section.pk]), _("查看监测断面"))
        for section in sections
    }


def register() -> None:
    """Called by `ProblemsConfig.ready` before the problems' own namer, which names any problems.* action."""
    from sciencecity.audit import labels

    labels.register(rivers_action_name)
    kinds.register(WaterNoticeKind)
    subjects.register(MonitoringSection, links=section_links, queryset=MonitoringSection.objects.all())
