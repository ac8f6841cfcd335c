"""The two formats of GeoReport v2: JSON, and XML written with ElementTree (never by joining strings, so a
citizen's `<` or `&` in a description is escaped by the library, not by us).

Both formats render the same Python value: a list of dicts for most resources (`services`, `service_requests`,
`errors`), one dict for the discovery and the service definition. XML needs a name for the element around
each list item, which JSON does not: `ITEM_TAGS` holds them, by the name of the list's own element.
"""

import json
import xml.etree.ElementTree as ET

from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# The element of each item of a list, by the list's element: <services><service>…, <errors><error>….
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "keywords": "keyword",
}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(tag: str, value) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list | tuple):
        item_tag = ITEM_TAGS[tag]
        for item in value:
            element.append(_element(item_tag, item))
    else:
        element.text = _text(value)
    return element


def to_xml(root: str, value) -> bytes:
    """The document, with the XML declaration naming UTF-8 as the spec asks."""
    return ET.tostring(_element(root, value), encoding="utf-8", xml_declaration=True)


def to_json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def respond(value, root: str, fmt: str, status: int = 200) -> HttpResponse:
    """`value` in `fmt`; `root` names the XML document's element (JSON has none)."""
    body = to_xml(root, value) if fmt == "xml" else to_json(value)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    """The spec's error document: one {code, description} per problem found, code being the HTTP status."""
    value = [{"code": status, "description": str(description)} for description in descriptions]
    return respond(value, "errors", fmt, status)
