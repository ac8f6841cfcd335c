"""ARCHITECTURE.md rule 8: each environment variable the settings read has a line in the README's table."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_environment_variable_is_in_the_readme_table():
    settings_source = (ROOT / "sciencecity" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', settings_source))
    assert "DATABASE_URL" in read and len(read) > 5
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.MULTILINE))
    assert read - table == set(), f"undocumented: {sorted(read - table)}"
    assert table - read == set(), f"documented but not read by settings: {sorted(table - read)}"


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    assert re.search(r"^make demo\b", first_block, flags=re.MULTILINE)
    assert re.search(r"^make test\b", first_block, flags=re.MULTILINE)
