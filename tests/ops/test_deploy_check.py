"""`manage.py check --deploy` is clean with the production settings the README documents (its `export` block),
so that an operator who follows the README starts with HTTPS redirects, HSTS and secure cookies."""

import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def documented_production_environment() -> dict:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running in production", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    export = re.search(r"^export (.*?)(?:\n(?!\s)|\Z)", block, flags=re.MULTILINE | re.DOTALL).group(1)
    pairs = dict(token.split("=", 1) for token in shlex.split(export.replace("\\\n", " ")))
    pairs["SECRET_KEY"] = secrets.token_urlsafe(50)  # the README's is a placeholder
    return pairs


def test_the_readme_names_the_https_settings():
    documented = documented_production_environment()
    assert documented["DEBUG"] == "0"
    assert documented["SECURE_SSL_REDIRECT"] == "1"
    assert int(documented["SECURE_HSTS_SECONDS"]) >= 31536000
    assert documented["LOG_FORMAT"] == "json"


def test_check_deploy_is_clean_with_the_documented_settings(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "DJANGO_"))}
    env.update(documented_production_environment())
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
