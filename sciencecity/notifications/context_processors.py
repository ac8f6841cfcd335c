"""Template context that every page's navigation needs."""


def unread_notifications(request):
    """`unread_notifications`: the signed-in user's unread count (one indexed COUNT), evaluated only when
    a template uses it; 0 for anonymous visitors."""
    from .selectors import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": lambda: unread_count(user)}
