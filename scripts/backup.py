#!/usr/bin/env python3
"""Back up the platform (database and media files) into one dated directory, and restore such a directory.

    DATABASE_URL=postgres://… MEDIA_ROOT=/srv/sciencecity/media \\
        .venv/bin/python scripts/backup.py backup --dest /srv/backups
    .venv/bin/python scripts/backup.py restore /srv/backups/sciencecity-20261124-023000 \\
        --database-url postgres://…/sciencecity_restored --media-root /srv/restored/media

`backup` reads the platform's own settings from the environment (DATABASE_URL must name PostgreSQL; MEDIA_ROOT,
SECRET_KEY and the rest as the platform runs). It writes `<dest>/sciencecity-YYYYMMDD-HHMMSS/` with:

- `database.dump`: `pg_dump --format=custom` of the database;
- `manifest.json`: `manage.py backup_manifest`, read in the very snapshot pg_dump reads (the script holds a
  REPEATABLE READ transaction open, exports its snapshot with `pg_export_snapshot()` and gives it to both);
- `media.tar`: MEDIA_ROOT, checked against the manifest once written (every listed file, same size and sha256);
- `SHA256SUMS`: of the three, for `sha256sum -c` after copying the directory elsewhere.

The directory is written as `….partial` and renamed when complete, so a directory without that suffix is a
whole backup (a failed run leaves its `.partial` directory for inspection).

`restore` checks SHA256SUMS, creates the target database (or takes an existing empty one), runs `pg_restore
--no-owner --exit-on-error --single-transaction` into it, unpacks the media into an empty MEDIA_ROOT, then
runs, with DATABASE_URL and MEDIA_ROOT pointing at the copy, `manage.py migrate --check` (or `migrate` with
`--migrate`, when the code is newer than the backup), `manage.py check` and `manage.py check_restore`. It exits
non-zero at the first step that fails. It never touches a database that holds tables or a non-empty directory.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.pgcluster import find_bindir  # noqa: E402

DUMP, MANIFEST, MEDIA, SUMS = "database.dump", "manifest.json", "media.tar", "SHA256SUMS"


class BackupFailed(RuntimeError):
    pass


def say(message: str) -> None:
    print(f"backup.py: {message}", file=sys.stderr, flush=True)


def postgres_connection(url: str) -> tuple[dict, dict]:
    """(libpq parameters without the password, environment carrying the password) of a postgres:// URL: the
    password stays out of the command lines that `ps` shows."""
    import psycopg.conninfo

    if not url.startswith(("postgres://", "postgresql://")):
        raise BackupFailed(f"DATABASE_URL must name a PostgreSQL database (postgres://…), not {url!r}")
    params = psycopg.conninfo.conninfo_to_dict(url)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return params, env


def conninfo(params: dict, **changes) -> str:
    import psycopg.conninfo

    return psycopg.conninfo.make_conninfo("", **{**params, **changes})


def pg_tool(name: str, bindir: str | None) -> str:
    bindir = bindir or os.environ.get("PG_BINDIR") or find_bindir()
    path = os.path.join(bindir, name) if bindir else shutil.which(name)
    if not path or not os.path.exists(path):
        raise BackupFailed(f"{name} not found (give --pg-bindir)")
    return path


def run(argv: list[str], env: dict | None = None, what: str = "") -> None:
    say(what or " ".join(argv[:2]))
    code = subprocess.call(argv, env=env, stdout=sys.stderr)  # stdout carries only the result
    if code != 0:
        raise BackupFailed(f"{what or argv[0]} failed (exit status {code})")


def manage(*args: str, env: dict | None = None, what: str = "") -> None:
    run([sys.executable, str(ROOT / "manage.py"), *args], env=env, what=what or f"manage.py {args[0]}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- backup ----------------------------------------------------------------------------------------------


def tar_media(media_root: Path, target: Path) -> int:
    """MEDIA_ROOT's files as a tar of paths relative to it; returns the number of files."""
    files = 0
    with tarfile.open(target, "w") as archive:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    archive.add(path, arcname=path.relative_to(media_root).as_posix(), recursive=False)
                    files += 1
        else:
            say(f"warning: MEDIA_ROOT {media_root} does not exist; the media archive is empty")
    return files


def check_tar_against_manifest(archive_path: Path, manifest: dict) -> None:
    """Every file the manifest lists is in the archive with the same size and sha256."""
    expected = manifest["files"]
    found = {}
    with tarfile.open(archive_path) as archive:
        for member in archive:
            if member.isfile() and member.name in expected:
                digest = hashlib.sha256()
                with archive.extractfile(member) as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
                found[member.name] = (member.size, digest.hexdigest())
    wrong = [
        name
        for name, recorded in expected.items()
        if found.get(name) != (recorded["size"], recorded["sha256"])
    ]
    if wrong:
        raise BackupFailed(
            f"{len(wrong)} files of the manifest are missing from the media archive or changed while it was "
            f"written (run the backup again): {', '.join(wrong[:10])}"
        )


def backup(dest: Path, bindir: str | None) -> Path:
    import psycopg

    params, env = postgres_connection(os.environ.get("DATABASE_URL", ""))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    final = dest / f"sciencecity-{stamp}"
    work = dest / f"sciencecity-{stamp}.partial"
    if final.exists() or work.exists():
        raise BackupFailed(f"{final} exists already")
    work.mkdir(parents=True)
    pg_dump = pg_tool("pg_dump", bindir)
    # One snapshot for the dump and the manifest: the exporting transaction stays open until both have read.
    with psycopg.connect(conninfo(params), password=env.get("PGPASSWORD")) as holder:
        holder.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        holder.read_only = True
        snapshot = holder.execute("SELECT pg_export_snapshot()").fetchone()[0]
        say(f"snapshot {snapshot}; pg_dump → {work / DUMP}, while the manifest is read")
        dump = subprocess.Popen(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={work / DUMP}", conninfo(params)],
            env=env,
            stdout=sys.stderr,
        )
        try:
            manage(
                "backup_manifest",
                f"--snapshot={snapshot}",
                f"--output={work / MANIFEST}",
                what=f"manage.py backup_manifest → {work / MANIFEST}",
            )
        except BackupFailed:
            dump.terminate()
            raise
        finally:
            code = dump.wait()
        if code != 0:
            raise BackupFailed(f"pg_dump failed (exit status {code})")
        holder.rollback()
    manifest = json.loads((work / MANIFEST).read_text(encoding="utf-8"))
    media_root = Path(manifest["media_root"])
    say(f"tar {media_root} → {work / MEDIA}")
    files = tar_media(media_root, work / MEDIA)
    check_tar_against_manifest(work / MEDIA, manifest)
    say(f"{files} media files archived, the manifest's {len(manifest['files'])} checked in the archive")
    (work / SUMS).write_text(
        "".join(f"{sha256_of(work / name)}  {name}\n" for name in (DUMP, MANIFEST, MEDIA)), encoding="ascii"
    )
    work.rename(final)
    return final


# --- restore ---------------------------------------------------------------------------------------------


def verify_sums(source: Path) -> None:
    sums = source / SUMS
    if not sums.is_file():
        raise BackupFailed(f"{sums} is missing: not a complete backup directory")
    for line in sums.read_text(encoding="ascii").splitlines():
        digest, name = line.split(maxsplit=1)
        if sha256_of(source / name) != digest:
            raise BackupFailed(f"{source / name} does not match its SHA256SUMS line: the copy is damaged")
    say(f"{SUMS}: {DUMP}, {MANIFEST}, {MEDIA} intact")


def prepare_database(params: dict, env: dict) -> None:
    """Create the target database, or accept an existing one that holds no table."""
    import psycopg
    from psycopg import sql

    name = params.get("dbname")
    if not name:
        raise BackupFailed("the target URL names no database")
    with psycopg.connect(
        conninfo(params, dbname="postgres"), password=env.get("PGPASSWORD"), autocommit=True
    ) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"created database {name}")
            return
    with psycopg.connect(conninfo(params), password=env.get("PGPASSWORD")) as target:
        tables = target.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'"
        ).fetchone()[0]
    if tables:
        raise BackupFailed(
            f"database {name} exists and is not empty ({tables} relations): restore into a new one"
        )
    say(f"database {name} exists and is empty")


def unpack_media(archive_path: Path, media_root: Path) -> None:
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupFailed(f"{media_root} is not empty: restore the media into a new directory")
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path) as archive:
        archive.extractall(media_root, filter="data")  # no absolute paths, no escaping links
    say(f"media unpacked into {media_root}")


def restore(
    source: Path,
    database_url: str,
    media_root: Path,
    bindir: str | None,
    *,
    no_privileges: bool = False,
    migrate: bool = False,
) -> None:
    verify_sums(source)
    params, env = postgres_connection(database_url)
    prepare_database(params, env)
    command = [pg_tool("pg_restore", bindir), "--no-owner", "--exit-on-error", "--single-transaction"]
    if no_privileges:
        command.append("--no-privileges")
    run([*command, f"--dbname={conninfo(params)}", str(source / DUMP)], env=env, what="pg_restore")
    unpack_media(source / MEDIA, media_root)
    platform = dict(os.environ, DATABASE_URL=database_url, MEDIA_ROOT=str(media_root))
    if migrate:
        manage("migrate", "--no-input", env=platform)
    else:
        manage("migrate", "--check", env=platform, what="manage.py migrate --check (no unapplied migrations)")
    manage("check", env=platform)
    manage("check_restore", str(source / MANIFEST), env=platform)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pg-bindir", help="directory of pg_dump and pg_restore (default: the newest installed)"
    )
    actions = parser.add_subparsers(dest="action", required=True)
    do_backup = actions.add_parser("backup", help="dump DATABASE_URL and MEDIA_ROOT into a dated directory")
    do_backup.add_argument("--dest", required=True, type=Path, help="where the dated directory is made")
    do_restore = actions.add_parser(
        "restore", help="restore a backup directory into a new database and media"
    )
    do_restore.add_argument("source", type=Path, help="the backup directory")
    do_restore.add_argument("--database-url", required=True, help="postgres://… of the new database")
    do_restore.add_argument("--media-root", required=True, type=Path, help="an empty or new directory")
    do_restore.add_argument(
        "--no-privileges", action="store_true", help="leave out GRANTs (roles the target server lacks)"
    )
    do_restore.add_argument(
        "--migrate", action="store_true", help="apply this code's newer migrations instead of migrate --check"
    )
    options = parser.parse_args(argv)
    try:
        if options.action == "backup":
            print(backup(options.dest, options.pg_bindir))
        else:
            restore(
                options.source,
                options.database_url,
                options.media_root,
                options.pg_bindir,
                no_privileges=options.no_privileges,
                migrate=options.migrate,
            )
            say(f"restored {options.source} and checked it against its manifest")
    except BackupFailed as error:
        say(f"error: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
