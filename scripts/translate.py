#!/usr/bin/env python3
"""Fill English translations into locale/en/LC_MESSAGES/django.po from a JSON file of {msgid: msgstr}
(a "msgctxt\\x04msgid" key for an entry with a context), clear their fuzzy flags, and compile the catalogue.

    python scripts/translate.py translations.json

Prints what is still untranslated or fuzzy afterwards (nothing, when the file covered it all)."""

import json
import subprocess
import sys
from pathlib import Path

import polib

CATALOGUE = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES" / "django.po"

translations = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
po = polib.pofile(str(CATALOGUE))
for entry in po:
    key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
    if key in translations:
        entry.msgstr = translations[key]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgctxt = None
po.save()
subprocess.run(["msgfmt", "-o", str(CATALOGUE.with_suffix(".mo")), str(CATALOGUE)], check=True)
left = [entry.msgid for entry in po.untranslated_entries() + po.fuzzy_entries()]
print("\n".join(left) if left else "all translated")
