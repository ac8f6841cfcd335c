"""English must be complete: every translatable text in the code and templates has an English translation."""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_committed_catalogue_is_complete_and_compiled():
    po = polib.pofile(str(PO))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"
    chinese_left = [entry.msgid for entry in po.translated_entries() if HAN.search(entry.msgstr)]
    assert not chinese_left, f"English translations that still contain Chinese: {chinese_left[:20]}"
    mo = polib.mofile(str(PO.with_suffix(".mo")))
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in mo}
    stale = [
        e.msgid
        for e in po.translated_entries()
        if compiled.get((e.msgctxt, e.msgid)) != e.msgstr and not e.msgid_plural
    ]
    assert not stale, f"django.mo is out of date (run compilemessages): {stale[:10]}"


# Left out of the copy that makemessages scans: what holds no text of the platform (at any depth, as
# makemessages' own ignore patterns match), and what git ignores.
NOT_SCANNED = (
    *(".*", "tests", "bench", "scripts"),
    *("media", "staticfiles", "test-artifacts", "node_modules", "__pycache__", "*.egg-info", "db.sqlite3*"),
)


def test_every_text_in_code_and_templates_is_in_the_catalogue(tmp_path, settings, monkeypatch):
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext not found: apt-get install gettext")
    # makemessages runs in a copy of the working tree: in the tree itself it writes the catalogue it finds
    # there (./locale, whatever LOCALE_PATHS says) and a temporary `<template>.html.py` beside every template,
    # which a test run in parallel (tests/test_layers.py copies sciencecity/) would trip over.
    tree = tmp_path / "tree"
    shutil.copytree(settings.BASE_DIR, tree, ignore=shutil.ignore_patterns(*NOT_SCANNED))
    locale = tree / "locale"
    settings.LOCALE_PATHS = [locale]
    monkeypatch.chdir(tree)
    call_command("makemessages", locale=["en"], verbosity=0)
    fresh = polib.pofile(str(locale / "en" / "LC_MESSAGES" / "django.po"))
    missing = [entry.msgid for entry in fresh.untranslated_entries()] + [
        e.msgid for e in fresh.fuzzy_entries()
    ]
    assert not missing, (
        f"texts without an English translation (run makemessages -l en and translate): {missing[:30]}"
    )


@pytest.mark.django_db
def test_admin_index_is_chinese_including_third_party_apps(admin_client):
    content = admin_client.get("/admin/").content.decode()
    for english in ("Access attempts", "Access logs", "Task Results", "AXES", "Tasks Database Backend"):
        assert english not in content, english
    for chinese in ("登录保护", "登录尝试", "后台任务", "事项目录", "审计事件", "节假日调整"):
        assert chinese in content, chinese


def test_join_list_uses_the_enumeration_comma_only_in_chinese():
    from django.utils import translation

    from sciencecity.i18n import join_list

    with translation.override("zh-hans"):
        assert join_list(["施工许可", "规划许可"]) == "施工许可、规划许可"
    with translation.override("en"):
        assert join_list(["permit", "licence"]) == "permit, licence"


@pytest.mark.django_db
def test_english_admin_index_uses_plural_model_names(admin_client):
    content = admin_client.get("/admin/", headers={"accept-language": "en"}).content.decode()
    for plural in ("Applications", "Review tasks", "Holiday overrides", "Service items", "Projects"):
        assert plural in content, plural
