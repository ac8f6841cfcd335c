"""Who hears of a problem's steps: the people of a role, of a department, its reporter and those who follow it."""

from django.contrib.auth import get_user_model

HANDLING_ROLES = ("department_reviewer", "department_head")


def with_role(*roles):
    return get_user_model().objects.filter(groups__name__in=roles, is_active=True).distinct()


def dispatchers():
    return with_role("dispatcher")


def inspectors():
    return with_role("inspector")


def leaders():
    return with_role("leader")


def department_people(department_id, roles=HANDLING_ROLES):
    if department_id is None:
        return get_user_model().objects.none()
    return with_role(*roles).filter(department_id=department_id)


def department_heads(department_id):
    return department_people(department_id, ("department_head",))


def reporters(problem) -> list:
    """The problem's reporter and the reporters of the duplicates merged into it, who follow it."""
    people = [problem.reporter] if problem.reporter_id else []
    people += [duplicate.reporter for duplicate in problem.duplicates.select_related("reporter")]
    return [person for person in people if person is not None and person.is_active]
