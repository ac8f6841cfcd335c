"""The workbench (工作台) cards and the main menu's entries, contributed by each app.

Accounts owns the signed-in landing page and the menu but knows no domain app: each app registers, in its
`AppConfig.ready`, providers that take the user and return a card or a menu entry for them, or None when the
user has no use for it. The order numbers place them (smaller first) whatever the order the apps load in.

A card is a dict: `title`, `url` (may be empty), `description` and `counts` (each `count(...)`: a label, a
number and an optional link); its provider runs a handful of COUNT queries at most, whatever the data.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

CardProvider = Callable[[object], dict | None]
MenuProvider = Callable[[object], "MenuEntry | None"]

_cards: list[tuple[int, CardProvider]] = []
_menu: list[tuple[int, MenuProvider]] = []


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url: str
    badge: Callable[[], int] | None = None  # a count shown beside the label, read only when the menu is drawn


def _register(registry: list, order: int):
    def register(provider):
        if all(existing is not provider for _order, existing in registry):
            registry.append((order, provider))
            registry.sort(key=lambda pair: pair[0])
        return provider

    return register


def card(order: int):
    """Decorator: register a workbench card provider at `order`."""
    return _register(_cards, order)


def menu_entry(order: int):
    """Decorator: register a main-menu entry provider at `order`."""
    return _register(_menu, order)


def count(label, number, url="") -> dict:
    return {"label": label, "number": number, "url": url}


def cards_for(user) -> list[dict]:
    return [area for _order, provider in _cards if (area := provider(user))]


def menu_for(user) -> list[MenuEntry]:
    return [entry for _order, provider in _menu if (entry := provider(user))]


# --- accounts' own ---------------------------------------------------------------------------------------


@menu_entry(20)
def _workbench_entry(user):
    return MenuEntry(_("工作台"), reverse("home")) if user.is_authenticated else None


@card(50)
def _admin_card(user):
    if not user.is_staff:
        return None
    return {
        "title": _("管理后台"),
        "url": reverse("admin:index"),
        "description": _("用户与角色、事项目录、节假日安排等基础数据。"),
        "counts": [],
    }
