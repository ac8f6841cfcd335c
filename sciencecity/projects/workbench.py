"""The key projects' workbench card and menu entry (registered in `ProjectsConfig.ready`): the projects the
reader escorts by colour, and for leaders and supervisors the zone's red and yellow key projects — each an
indexed count."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sciencecity.accounts.scoping import is_civil_servant, sees_everything
from sciencecity.accounts.workbench import MenuEntry, card, menu_entry
from sciencecity.accounts.workbench import count as _count
from sciencecity.enterprises.sections import Row, Section, section
from sciencecity.workflow.paging import shown_count

from . import selectors
from .models import Level, Project
from .views import project_page_url

FILE_ROWS = 10  # rows of a section on the enterprise file


@card(60)
def project_service_card(user):
    """Escort team members see their projects by colour; leaders and supervisors the zone's."""
    if not is_civil_servant(user):
        return None
    url = reverse("projects:key_projects")
    mine = selectors.key_projects(user, member=user)
    counts = selectors.level_counts(mine)
    if any(counts.values()) or "project_specialist" in user.role_codes():
        return {
            "title": _("我护航的项目"),
            "url": f"{url}?mine=on",
            "description": _("您所在护航团队的重点项目:记录服务、帮办代办、跟进月报和预警。"),
            "counts": [
                _count(Level(level).label, shown_count(counts[level]), f"{url}?mine=on&level={level}")
                for level in (Level.RED, Level.YELLOW, Level.GREEN)
            ],
        }
    if not sees_everything(user):
        return None
    counts = selectors.level_counts(selectors.key_projects(user))
    return {
        "title": pgettext("plural", "重点项目"),
        "url": url,
        "description": _("全区重点项目的红黄绿灯预警,点开查看原因和护航情况。"),
        "counts": [
            _count(Level(level).label, shown_count(counts[level]), f"{url}?level={level}")
            for level in (Level.RED, Level.YELLOW)
        ],
    }


@menu_entry(58)
def key_projects_entry(user):
    if not user.is_authenticated or not is_civil_servant(user):
        return None
    return MenuEntry(pgettext("plural", "重点项目"), reverse("projects:key_projects"))


@menu_entry(59)
def campaign_entry(user):
    """The campaign's rankings: civil servants read them whole, enterprises their places and the pioneers."""
    if not user.is_authenticated:
        return None
    return MenuEntry(_("三比一争"), reverse("projects:campaigns"))


@menu_entry(59)
def mass_starts_entry(user):
    """Mass starts and the zone's construction timeline: public announcements, read by everyone signed in."""
    if not user.is_authenticated:
        return None
    return MenuEntry(_("集中开工"), reverse("projects:mass_starts"))


@section(20)
def enterprise_projects(user, enterprise):
    """The enterprise's projects on its file: the newest, with their phase and colour."""
    projects = list(
        Project.objects.for_user(user)
        .filter(enterprise=enterprise)
        .order_by("-created_at", "-id")[:FILE_ROWS]
    )
    return Section(
        key="projects",
        title=pgettext("plural", "项目"),
        rows=[
            Row(
                f"{project.name}({project.code})",
                project_page_url(user, project),
                f"{project.get_phase_display()}"
                + (f" · {project.get_warning_level_display()}" if project.is_key else ""),
            )
            for project in projects
        ],
        empty=_("没有登记的项目。"),
    )
