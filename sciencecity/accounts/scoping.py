"""The one place that decides who sees which rows.

Every model that a page or the API lists gets a manager built from a `ScopedQuerySet` subclass whose
`for_user(user)` returns only what that user may see. Views fetch single objects through the same scope, so
a row outside it answers 404 (ARCHITECTURE.md rule 5).
"""

from django.db import models

# Roles that read the whole zone. Supervisors read everything but change nothing: their groups carry only
# view permissions.
ZONE_WIDE_ROLES = frozenset({"leader", "supervisor", "administrator"})
# Roles of civil servants, who see the zone's registries (enterprises, projects) to do their work.
STAFF_ROLES = (
    frozenset(
        {
            "window_clerk",
            "department_reviewer",
            "department_head",
            "project_specialist",
            "party_officer",
            "dispatcher",
            "inspector",
        }
    )
    | ZONE_WIDE_ROLES
)


def _roles(user) -> frozenset[str]:
    if user is None or not user.is_authenticated:
        return frozenset()
    return user.role_codes() | ({"administrator"} if user.is_superuser else frozenset())


def sees_everything(user) -> bool:
    """Leaders, supervisors and administrators read every row of the zone."""
    return bool(_roles(user) & ZONE_WIDE_ROLES)


def scope_key(user) -> tuple:
    """Everything of `user` that a `for_user()` reads — who, roles, permissions, department, enterprise —
    as a hashable key. A queryset compiled for one user's scope (`sciencecity.workflow.prepared`) is reused
    only for the same key, so a user whose department or roles change gets a scope compiled anew."""
    if user is None:
        return ("platform",)
    if not user.is_authenticated:
        return ("anonymous",)
    return (
        user.pk,
        _roles(user),
        frozenset(user.get_all_permissions()),
        user.department_id,
        user.enterprise_id,
    )


def is_civil_servant(user) -> bool:
    """Any government role: reads the zone's registries of enterprises and projects."""
    return bool(_roles(user) & STAFF_ROLES)


class ScopedQuerySet(models.QuerySet):
    """Base for querysets that pages and the API list; subclasses must say who sees what."""

    def for_user(self, user):  # pragma: no cover - the subclasses' contract
        raise NotImplementedError(f"{self.model.__name__} must define for_user()")
