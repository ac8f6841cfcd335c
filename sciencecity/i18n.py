"""Language-aware small pieces of text that gettext alone cannot express."""

from django.utils.translation import get_language


def join_list(items) -> str:
    """Join items for a sentence: with the Chinese enumeration comma (、) in Chinese, ", " in English."""
    separator = ", " if (get_language() or "").startswith("en") else "、"
    return separator.join(str(item) for item in items)
