"""The layering of docs/architecture.md is enforced by import-linter's contracts in pyproject.toml: they hold
for the code as it is, and a base app that imported a domain app (or a domain app the demo) would break them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
    )


def test_the_contracts_hold():
    run = lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout and "Base apps import no domain app" in run.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("accounts/roles.py", "from sciencecity.approvals import models", "Base apps import no domain app"),
        ("workflow/errors.py", "import sciencecity.catalog.models", "Base apps import no domain app"),
        (
            "notifications/subjects.py",
            "from sciencecity.approvals import models",
            "Base apps import no domain app",
        ),
        (
            "approvals/selectors.py",
            "from sciencecity.demo import world",
            "Domain apps do not import the demo",
        ),
        ("approvals/services/review.py", "from .. import dashboard", "read the"),
        (
            "enterprises/models.py",
            "from sciencecity.projects import models",
            "Capabilities above the shared domain",
        ),
        (
            "projects/models.py",
            "from sciencecity.approvals import models",
            "Capabilities above the shared domain",
        ),
    ],
)
def test_a_forbidden_import_breaks_them(tmp_path, module, line, broken):
    shutil.copytree(
        ROOT / "sciencecity", tmp_path / "sciencecity", ignore=shutil.ignore_patterns("__pycache__")
    )
    target = tmp_path / "sciencecity" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    run = lint(tmp_path)
    assert run.returncode == 1, run.stdout
    assert "BROKEN" in run.stdout and broken in run.stdout.replace("\n", " ")
