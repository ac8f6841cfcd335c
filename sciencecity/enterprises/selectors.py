"""Reads about enterprises that other apps share."""

from django.contrib.auth import get_user_model


def people_of(enterprise_ids) -> dict[int, list]:
    """{enterprise id: its active users who act for it (the applicant role)}: who an enterprise's notices go
    to, in one query for any number of enterprises."""
    people: dict[int, list] = {}
    for user in (
        get_user_model()
        .objects.filter(enterprise_id__in=list(enterprise_ids), is_active=True, groups__name="applicant")
        .distinct()
        .order_by("pk")
    ):
        people.setdefault(user.enterprise_id, []).append(user)
    return people
