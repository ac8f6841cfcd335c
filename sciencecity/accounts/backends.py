"""A user's roles and permissions read together, once per request-lived user object.

Every signed-in page asks for both: the roles decide the scope of every list (`scoping`, `for_user`) and the
menu, the permissions every decorator and template. Django's ModelBackend reads the user's permissions and
the permissions of the user's groups in two statements, and `User.role_codes()` read the group names in a
third; the load test (`bench/load.py`) counted them on every page. `load_access` reads all three in one
statement and leaves them where ModelBackend and `role_codes()` look first (`_user_perm_cache`,
`_group_perm_cache`, `_perm_cache`, `_role_codes`), so their answers are the same as before, from one read.

`AccessBackend` sits before ModelBackend in AUTHENTICATION_BACKENDS and only fills those caches when a
permission is asked; it authenticates no one and grants nothing itself (ModelBackend, next, answers from the
caches). Superusers are left to ModelBackend, which gives them every permission. Code that changes a user's
groups drops `_role_codes` (as `accounts.oidc` and the test factories do): the caches are then read again.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import CharField, Value


def load_access(user) -> None:
    """The user's role codes and permissions, in one statement, into the caches of `role_codes()` and of
    ModelBackend."""
    kind = CharField()
    rows = (
        Group.objects.filter(user=user)
        .order_by()
        .values_list(Value("role", output_field=kind), "name", Value("", output_field=kind))
        .union(
            Permission.objects.filter(group__user=user)
            .order_by()
            .values_list(Value("group", output_field=kind), "content_type__app_label", "codename"),
            Permission.objects.filter(user=user)
            .order_by()
            .values_list(Value("user", output_field=kind), "content_type__app_label", "codename"),
            all=True,
        )
    )
    roles, from_groups, own = set(), set(), set()
    for source, first, second in rows:
        if source == "role":
            roles.add(first)
        elif source == "group":
            from_groups.add(f"{first}.{second}")
        else:
            own.add(f"{first}.{second}")
    user._role_codes = frozenset(roles)
    if user.is_active and not user.is_superuser:
        user._user_perm_cache = own
        user._group_perm_cache = from_groups
        user._perm_cache = own | from_groups


def _loaded(user) -> None:
    if not user.is_active or user.is_anonymous or user.is_superuser:
        return
    if "_role_codes" not in user.__dict__ or not hasattr(user, "_perm_cache"):
        load_access(user)


class AccessBackend:
    """Fills ModelBackend's permission caches with one statement (see the module); answers nothing itself.
    It has no `get_user`: sessions and the test client's `force_login` keep naming ModelBackend."""

    def authenticate(self, request, **credentials):
        return None

    def get_all_permissions(self, user_obj, obj=None):
        _loaded(user_obj)
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        _loaded(user_obj)
        return False

    def has_module_perms(self, user_obj, app_label):
        _loaded(user_obj)
        return False
