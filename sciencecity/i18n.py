"""Language-aware small pieces of text that gettext alone cannot express."""

from django.utils.translation import get_language


def join_list(items) -> str:
    """Join items for a sentence: with the Chinese enumeration comma (、) in Chinese, ", " in English."""
    separator = ", " if (get_language() or "").startswith("en") else "、"
    return separator.join(str(item) for item in items)


def in_language(chinese: str, english: str) -> str:
    """A name kept in both languages (catalog rows, categories, project types, notifications): the English one
    in English mode where there is one, else the Chinese text it was entered in."""
    if english and (get_language() or "").startswith("en"):
        return english
    return chinese
