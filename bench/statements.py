"""Statements per application and per task transition: `python -m bench.statements [--kinds]`.

Counts the SQL statements the service functions send for one complete 开工一件事 application (driven as
`bench.lifecycle` drives it), per phase and by kind. Runs on DATABASE_URL, or on a temporary SQLite file
when DATABASE_URL is not set; the count is the same on both except for PostgreSQL-only details.
"""

import json
import os
import sys
import tempfile

import django


def main() -> None:
    directory = None
    if not os.environ.get("DATABASE_URL"):
        directory = tempfile.TemporaryDirectory(prefix="sciencecity-statements-")
        os.environ["DATABASE_URL"] = f"sqlite:///{directory.name}/statements.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciencecity.settings")
    django.setup()
    from django.core.management import call_command

    from bench import lifecycle

    call_command("migrate", verbosity=0)
    world = lifecycle.bench_world()
    drafts = lifecycle.prepare_drafts(world, 3)
    reviewers = lifecycle.bench_reviewers()
    for user in (world.applicant, world.clerk, *reviewers.values()):
        user.get_all_permissions()
    lifecycle.statement_profile(world, reviewers, drafts[0])  # warm the process caches
    profile = lifecycle.statement_profile(world, reviewers, drafts[1])
    if "--kinds" not in sys.argv:
        profile.pop("kinds")
    print(json.dumps(profile, indent=1, ensure_ascii=False))
    if directory is not None:
        directory.cleanup()


if __name__ == "__main__":
    main()
