"""What a person reads on a page, and the words on it that are in the wrong language.

The language checks (tests/pages/test_languages.py with the test client, tests/e2e/test_languages.py in the
browser) read a page as a person does: its title and the text of its body, plus the attributes a person reads
or hears (title, alt, placeholder, aria-label, the value of an input button). Left out, because they are not
texts of the platform:

- script, style and template contents, and `hidden` elements;
- elements marked `data-user-text`: data that people entered (names of enterprises, projects and people,
  addresses, opinions, notes), shown as entered in either language;
- elements with a `lang` of their own: the language switch names each language in itself ("English" in
  Chinese mode, "简体中文" in English mode).

In Chinese mode an English word is a run of two or more Latin letters in a token without digits (codes such
as SQ20261124000001 or 91500106MA5U7WAX1B carry digits), except the few in `LATIN_ALLOWED`; in English mode any
CJK character or full-width punctuation is a leak.
"""

import re

import tinyhtml5

SKIPPED_TAGS = {"script", "style", "template", "noscript", "head"}
READ_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
# Abbreviations, units and file kinds that Chinese government pages write in Latin letters.
LATIN_ALLOWED = {
    "PDF",
    "OFD",
    "JPG",
    "JPEG",
    "PNG",
    "GIF",
    "DWG",
    "ZIP",
    "DOCX",
    "XLSX",
    "EXCEL",  # the spreadsheet every office names by its product ("导出 Excel")
    "MB",
    "KB",
    "QR",
    "ID",
}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-./@]*")
LETTERS = re.compile(r"[A-Za-z]{2,}")


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _skipped(element) -> bool:
    attributes = {_local(name): value for name, value in element.attrib.items()}
    return (
        _local(element.tag) in SKIPPED_TAGS
        or "hidden" in attributes
        or "data-user-text" in attributes
        or "lang" in attributes
        or attributes.get("type") == "hidden"
    )


def _read(element, out: list[str]) -> None:
    if _skipped(element):
        return
    attributes = {_local(name): value for name, value in element.attrib.items()}
    for name in READ_ATTRIBUTES:
        if attributes.get(name):
            out.append(attributes[name])
    if _local(element.tag) == "input" and attributes.get("type") in ("submit", "button", "reset"):
        out.append(attributes.get("value", ""))
    out.append(element.text or "")
    for child in element:
        _read(child, out)
        out.append(child.tail or "")


def visible_text(html: str) -> str:
    """The title and body text of `html` as a person reads it (see the module docstring for what is left out)."""
    root = tinyhtml5.parse(html)
    out = []
    for element in root.iter():
        if _local(element.tag) == "title":
            out.append(element.text or "")
    for element in root:
        if _local(element.tag) == "body":
            _read(element, out)
    return re.sub(r"\s+", " ", " ".join(out)).strip()


def english_words(text: str, allowed=()) -> list[str]:
    """The English words in `text` (tokens with letters and no digits), less `LATIN_ALLOWED` and `allowed`."""
    words = []
    for token in TOKEN.findall(text):
        if any(c.isdigit() for c in token) or not LETTERS.search(token):
            continue
        if token.strip(".-_/").upper() in LATIN_ALLOWED or token in allowed:
            continue
        words.append(token)
    return words


def chinese_runs(text: str) -> list[str]:
    """The runs of CJK characters and full-width punctuation in `text`, with a little context each."""
    return [text[max(0, m.start() - 20) : m.end() + 20] for m in CJK.finditer(text)]


def language_leaks(client, urls, language: str) -> dict:
    """{url: what of the other language each page shows} for `urls` read in `language` by the client's user,
    outside the data people entered; the title (which names a record before the platform) is left out."""
    import re as _re

    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    leaks = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = _re.sub(r"<title>.*?</title>", "", response.content.decode(), flags=_re.S)
        text = visible_text(html)
        found = english_words(text) if language == "zh-hans" else chinese_runs(text)
        if found:
            leaks[url] = sorted(set(found))[:12]
    return leaks
