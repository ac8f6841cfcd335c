"""The problems' admin pages: the rivers and their monitoring sections (`rivers.admin`)."""

from .rivers import admin  # noqa: F401  (registers its model admins)
