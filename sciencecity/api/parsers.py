"""The API's JSON parser: DRF's, with a bound on nesting.

Python's JSON decoder recurses once per level of nesting, so a 2 KB body of a thousand nested brackets
ended in an uncaught RecursionError (a 500, even for an anonymous caller). No request of this API nests
deeper than a few levels, so anything deeper than `MAX_DEPTH` is refused as a parse error (400) before
decoding, in a scan that does not recurse.
"""

from io import BytesIO

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(_("请求体不是有效的 UTF-8 文本。")) from None
        if nesting_depth(text) > MAX_DEPTH:
            raise ParseError(_("JSON 嵌套过深(最多 %(depth)s 层)。") % {"depth": MAX_DEPTH})
        return super().parse(BytesIO(raw), media_type, parser_context)
