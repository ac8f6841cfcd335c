"""Template context of every page: the main menu, as the apps contribute it (`workbench.menu_for`)."""

from .workbench import menu_for


def main_menu(request):
    """`main_menu`: the user's menu entries, built only when a template reads it."""
    user = getattr(request, "user", None)
    if user is None:
        return {"main_menu": []}
    return {"main_menu": lambda: menu_for(user)}
