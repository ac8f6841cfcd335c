"""Free text that people type: what the platform refuses in it, in one place.

Control characters (NUL, escape sequences that recolour a terminal, bidirectional overrides that make text
read differently from what it is) have no place in names, reasons, opinions or form answers: PostgreSQL
refuses NUL outright (a 500 before this check), and the others mislead whoever reads the text later, in the
audit trail or an export. Tab and line breaks are allowed where the text has several lines.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")


def reject_control_characters(text: str, *, multiline: bool = True) -> str:
    """`text` unchanged, or a ValidationError (code "control_characters") when it holds a control character
    (or a tab or line break, where `multiline` is False)."""
    if _CONTROL.search(text) or (not multiline and _LINE_BREAKS.search(text)):
        raise ValidationError(_("不能包含控制字符(如 NUL、转义序列)。"), code="control_characters")
    return text
