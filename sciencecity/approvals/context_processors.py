"""Template context that every page's navigation needs."""

from .models import Notification


def unread_notifications(request):
    """`unread_notifications`: the signed-in user's unread count (one indexed COUNT), evaluated only when
    a template uses it; 0 for anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}

    def count():
        return Notification.objects.for_user(user).unread().count()

    return {"unread_notifications": count}
