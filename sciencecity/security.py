"""Pieces of the Content-Security-Policy that settings cannot write literally."""

import base64
import hashlib
import re
from pathlib import Path

ERROR_PAGE = Path(__file__).resolve().parent.parent / "templates" / "500.html"


def style_hash_of_error_page() -> str:
    """The CSP source that allows the 500 page's one inline <style>.

    Django renders that page without a request, so it can neither carry a nonce nor rely on static files; its
    style block holds no template syntax, so its text — and this hash — is what the browser receives."""
    match = re.search(r"<style>(.*?)</style>", ERROR_PAGE.read_text(encoding="utf-8"), re.S)
    digest = hashlib.sha256(match.group(1).encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
