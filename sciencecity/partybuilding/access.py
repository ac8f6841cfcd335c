"""Who keeps which part of the tree: the holder of a post in an organization (`Officer`) keeps it and everything
under it, with the `partybuilding.keep_party` permission of the party officers' role. The platform itself
(`user` None: the demo, commands) keeps everything; the first post at the root is given by an administrator."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import officer_paths

KEEP = "partybuilding.keep_party"


def keeps(user, organization) -> bool:
    if user is None:
        return True
    if not user.has_perm(KEEP):
        return False
    return any(organization.path.startswith(path) for path in officer_paths(user))


def require_keeper(user, *organizations) -> None:
    for organization in organizations:
        if not keeps(user, organization):
            raise PermissionDenied(
                _("只有“%(organization)s”及其上级党组织的党务工作人员可以办理。")
                % {"organization": organization.name}
            )


def forget_posts(user) -> None:
    """Drop the posts cached on `user` after they change within the request."""
    for cached in ("_party_officer_paths", "_reads_party"):
        if user is not None and hasattr(user, cached):
            delattr(user, cached)
