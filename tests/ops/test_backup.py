"""Backups and restore (issue 17): the manifest written with a backup, and the check of a restored copy.

The world: the demo departments and catalog, one 开工一件事 application walked through the services to its
conclusion, with its uploaded materials and its three certificates rendered as PDFs (about 30 audit events).

On both databases the two commands run in-process on the test database: checked against its own manifest the
database passes, rows and files added after the manifest are allowed, and each kind of damage done after the
manifest fails, named. On PostgreSQL the documented path runs end to end: `scripts/backup.py backup` of the
test database (pg_dump and the manifest in one exported snapshot, the media archived), `scripts/backup.py
restore` into a new empty cluster (pg_restore, the media unpacked, migrate --check, check, check_restore), the
public verification page of every certificate served by the platform running on the copy, then copies of the
restored database (CREATE DATABASE … TEMPLATE) damaged one way each, each caught by check_restore.
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from sciencecity.approvals.models import Application, Certificate, SubmittedMaterial
from sciencecity.approvals.pdf import store_certificate_pdf
from sciencecity.approvals.services import applications
from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from sciencecity.ops.backup import AUDIT_CHAIN_START, chain
from tests.approvals.conftest import (
    START_DAY,
    START_MINIMAL,
    accepted,
    approve_all,
    at,
    draft,
    load_demo_world,
    upload_for,
)

ROOT = Path(__file__).resolve().parents[2]
AUDIT_TRIGGER = "audit_auditevent_no_update_delete"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.MEDIA_ROOT


def build_world(time_machine):
    """A concluded application with its materials and its certificates, each certificate's PDF stored."""
    at(time_machine, START_DAY)
    world = load_demo_world()
    application = accepted(world, "start-construction", START_MINIMAL)
    approve_all(world, application)
    application.refresh_from_db()
    assert application.status == Application.Status.CONCLUDED
    certificates = list(Certificate.objects.order_by("pk"))
    for certificate in certificates:
        store_certificate_pdf(certificate)
    assert len(certificates) >= 2
    return world, certificates


@pytest.fixture
def world(db, media, time_machine):
    return build_world(time_machine)


def manifest_of(path: Path) -> dict:
    call_command("backup_manifest", "--output", str(path), stdout=io.StringIO())
    return json.loads(path.read_text(encoding="utf-8"))


def check(path: Path) -> tuple[bool, str]:
    """(passed, report) of check_restore against the manifest at `path`, run in-process."""
    out = io.StringIO()
    try:
        call_command("check_restore", str(path), stdout=out)
    except CommandError as error:
        return False, out.getvalue() + str(error)
    return True, out.getvalue()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the manifest ----------------------------------------------------------------------------------------


def test_the_manifest_counts_chains_and_hashes_what_a_backup_holds(world, media, tmp_path):
    _world, certificates = world
    path = tmp_path / "manifest.json"
    manifest = manifest_of(path)

    events = AuditEvent._base_manager.order_by("id")
    assert manifest["tables"]["audit_auditevent"] == {
        "model": "audit.AuditEvent",
        "pk": "id",
        "rows": events.count(),
        "max_pk": events.last().pk,
    }
    assert manifest["tables"]["approvals_certificate"]["rows"] == len(certificates)
    assert manifest["tables"]["django_migrations"]["rows"] > 0
    assert "audit" in manifest["migrations"]

    # The chain is over the events in id order, each chained to the one before: rebuilt here from the first.
    audit = manifest["audit"]
    assert audit["rows"] == events.count() and audit["last_id"] == events.last().pk
    assert audit["ids"] == [[events.first().pk, events.last().pk]]
    assert audit["digest"] != AUDIT_CHAIN_START and len(audit["digest"]) == 64
    assert chain(AUDIT_CHAIN_START, b"x") != chain(AUDIT_CHAIN_START, b"y")

    # Every stored file: certificates' PDFs and the uploaded materials, with their size and sha256.
    materials = SubmittedMaterial.objects.exclude(file="")
    assert materials.exists()
    for name in [c.pdf.name for c in Certificate.objects.all()] + [m.file.name for m in materials]:
        assert manifest["files"][name]["size"] == (media / name).stat().st_size
        assert manifest["files"][name]["sha256"] == sha256(media / name)
    assert manifest["files_missing_at_backup"] == {}

    # Certificates: their public facts, and never their verification codes in clear.
    recorded = {facts["number"]: facts for facts in manifest["certificates"]}
    assert set(recorded) == {c.number for c in certificates}
    text = path.read_text(encoding="utf-8")
    for certificate in certificates:
        assert certificate.verification_code not in text
        assert recorded[certificate.number]["status"] == "valid"
        assert (
            recorded[certificate.number]["verification_code_sha256"]
            == hashlib.sha256(certificate.verification_code.encode()).hexdigest()
        )
    assert manifest["platform_version"] and manifest["format"] == "sciencecity-backup-manifest/1"


def test_a_file_missing_at_backup_time_is_recorded_and_warned(world, media, tmp_path):
    _world, certificates = world
    missing = certificates[0].pdf.name
    (media / missing).unlink()
    err = io.StringIO()
    call_command("backup_manifest", "--output", str(tmp_path / "m.json"), stdout=io.StringIO(), stderr=err)
    manifest = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert missing not in manifest["files"]
    assert manifest["files_missing_at_backup"][missing] == [f"approvals.Certificate.pdf:{certificates[0].pk}"]
    assert missing in err.getvalue()
    # The copy is as whole as the backup was: the check passes and says what was missing already.
    passed, report = check(tmp_path / "m.json")
    assert passed, report
    assert f"already missing when the backup was taken: {missing}" in report


# --- the check -------------------------------------------------------------------------------------------


def test_an_intact_copy_passes_and_rows_and_files_added_since_are_allowed(world, media, tmp_path):
    world, certificates = world
    path = tmp_path / "manifest.json"
    manifest_of(path)
    before = AuditEvent._base_manager.count()
    passed, report = check(path)
    assert passed, report
    assert f"audit trail: {AuditEvent._base_manager.count()} events" in report
    assert f"certificates: {len(certificates)} verify through the public verification lookup" in report
    assert "The restored copy holds everything" in report

    # The platform goes on after the manifest (a dump taken a little later): newer rows and files are fine.
    later = draft(world, "start-construction", START_MINIMAL, key="after-the-manifest")
    _items, notice, _form = applications.requirements(later)
    entry = next(entry for entry in notice if entry.needs_submission)
    applications.upload_material(world.applicant, later, entry.code, upload_for(entry.spec))
    assert AuditEvent._base_manager.count() > before
    passed, report = check(path)
    assert passed, report
    assert "newer than the manifest (allowed)" in report


def _disable_audit_trigger():
    """On PostgreSQL the audit table refuses UPDATE and DELETE by trigger; a superuser may switch it off (inside
    the test's transaction, so for this test only) to play the tamperer."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign-key checks pending on the table
            cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {AUDIT_TRIGGER}")


def _raw(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def delete_an_audit_event(certificates, media):
    victim = AuditEvent._base_manager.order_by("id")[5].pk
    _disable_audit_trigger()
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [victim])
    return [f"audit trail: 1 event of the manifest is missing: id {victim}"]


def rewrite_an_audit_event(certificates, media):
    victim = AuditEvent._base_manager.order_by("id")[7].pk
    _disable_audit_trigger()
    _raw("UPDATE audit_auditevent SET action = 'approvals.nothing_happened' WHERE id = %s", [victim])
    return ["audit trail: the chain of digests", "(an event was altered)"]


def remove_a_certificate_pdf(certificates, media):
    name = certificates[0].pdf.name
    (media / name).unlink()
    return [
        f"file {name} (approvals.Certificate.pdf) is missing from MEDIA_ROOT",
        f"certificate {certificates[0].number} (id {certificates[0].pk}): its PDF {name} is missing",
    ]


def change_a_material_file(certificates, media):
    name = SubmittedMaterial.objects.exclude(file="").order_by("pk").first().file.name
    content = (media / name).read_bytes()
    (media / name).write_bytes(bytes(reversed(content)))  # same size, other bytes
    return [f"file {name} (approvals.SubmittedMaterial.file) differs from the manifest (sha256)"]


def forge_a_certificate(certificates, media):
    certificate = certificates[1]
    _raw(
        "UPDATE approvals_certificate SET verification_code = %s, status = 'revoked' WHERE id = %s",
        ["forged-code-0000000000", certificate.pk],
    )
    return [
        f"certificate {certificate.number} (id {certificate.pk}) differs from the manifest: verification code "
        "(its printed QR and check codes no longer verify), status"
    ]


def lose_notifications(certificates, media):
    first = Notification.objects.order_by("pk").first().pk
    _raw(f"DELETE FROM {Notification._meta.db_table} WHERE id = %s", [first])
    return [f"table {Notification._meta.db_table} (notifications.Notification): 1 of the"]


DAMAGES = [
    delete_an_audit_event,
    rewrite_an_audit_event,
    remove_a_certificate_pdf,
    change_a_material_file,
    forge_a_certificate,
    lose_notifications,
]


class Undo(Exception):
    """Raised to roll a damage back (its savepoint) once its check has been seen to fail."""


def test_each_kind_of_damage_fails_the_check_and_is_named(world, media, tmp_path):
    """One world, damaged one way at a time: each damage is done in a savepoint and its files in MEDIA_ROOT,
    checked, then undone (the savepoint rolled back, MEDIA_ROOT put back), and the check passes again."""
    _world, certificates = world
    path = tmp_path / "manifest.json"
    manifest_of(path)
    pristine = tmp_path / "pristine-media"
    shutil.copytree(media, pristine)
    assert check(path)[0]
    for damage in DAMAGES:
        with pytest.raises(Undo), transaction.atomic():
            expected = damage(certificates, media)
            passed, report = check(path)
            assert not passed, (damage.__name__, report)
            for message in expected:
                assert message in report, (damage.__name__, report)
            assert "the restored copy does not match its backup's manifest" in report
            raise Undo
        shutil.rmtree(media)
        shutil.copytree(pristine, media)
        passed, report = check(path)
        assert passed, (f"not undone: {damage.__name__}", report)


def test_a_file_that_is_no_manifest_is_refused(db, tmp_path):
    (tmp_path / "other.json").write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(CommandError, match="is not a manifest of this platform"):
        call_command("check_restore", str(tmp_path / "other.json"))


def test_a_snapshot_needs_postgresql_and_a_fresh_transaction(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("backup_manifest", "--snapshot", "00000003-0000022E-1", stdout=io.StringIO())
    with pytest.raises(CommandError, match="not a snapshot id"):
        call_command("backup_manifest", "--snapshot", "'; DROP TABLE x; --", stdout=io.StringIO())


# --- PostgreSQL: pg_dump, restore into a new cluster, the platform on the copy ------------------------------


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def run(argv, env, check=True):
    result = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT, timeout=300)
    if check and result.returncode != 0:
        pytest.fail(f"{argv[1:3]} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def manage(env, *args, check=True):
    return run([sys.executable, str(ROOT / "manage.py"), *args], env, check=check)


# The platform running on the restored copy: every certificate's public verification page, through the whole
# request stack (URLs, middleware, view, template), as its QR code opens it.
VERIFY_PAGES = """
import json, os
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
pages = {}
for number, code in json.loads(os.environ["CERTIFICATES"]).items():
    response = client.get(f"/verify/{code}/")
    page = response.content.decode()
    pages[number] = [response.status_code, number in page, "verification-result valid" in page]
print(json.dumps(pages))
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_into_a_new_cluster_then_damage_is_caught(
    on_postgres, media, tmp_path, time_machine
):
    from scripts.pgcluster import Cluster

    _world, certificates = build_world(time_machine)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(media),
        "DEBUG": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
    }

    backup = run(
        [sys.executable, str(ROOT / "scripts" / "backup.py"), "backup", "--dest", str(tmp_path)], env
    )
    directory = Path(backup.stdout.strip())
    assert directory.parent == tmp_path and directory.name.startswith("sciencecity-")
    assert sorted(p.name for p in directory.iterdir()) == [
        "SHA256SUMS",
        "database.dump",
        "manifest.json",
        "media.tar",
    ]
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["database"]["snapshot"]  # read in the snapshot pg_dump read
    assert manifest["tables"]["audit_auditevent"]["rows"] == AuditEvent._base_manager.count()

    with Cluster(prefix="sciencecity-restore-") as cluster:
        cluster.initdb().start()
        restored_url = cluster.url("restored")
        restored_media = tmp_path / "restored-media"
        restore = run(
            [
                sys.executable,
                str(ROOT / "scripts" / "backup.py"),
                "restore",
                str(directory),
                f"--database-url={restored_url}",
                f"--media-root={restored_media}",
            ],
            env,
        )
        assert "The restored copy holds everything its backup's manifest lists." in restore.stderr
        assert "no unapplied migrations" in restore.stderr
        again = run(restore.args, env, check=False)  # a second restore into the same database
        assert again.returncode == 1
        assert "database restored exists and is not empty" in again.stderr
        for certificate in certificates:
            assert (restored_media / certificate.pdf.name).read_bytes() == (
                media / certificate.pdf.name
            ).read_bytes()

        # The platform runs on the copy, and every certificate's public page verifies it.
        copy_env = {**env, "DATABASE_URL": restored_url, "MEDIA_ROOT": str(restored_media)}
        copy_env["CERTIFICATES"] = json.dumps({c.number: c.verification_code for c in certificates})
        pages = json.loads(manage(copy_env, "shell", "--no-imports", "-c", VERIFY_PAGES).stdout.strip())
        assert pages == {c.number: [200, True, True] for c in certificates}

        # The copy's audit table is append-only again: the trigger came back with the schema.
        with pytest.raises(subprocess.CalledProcessError):
            cluster.psql("DELETE FROM audit_auditevent", database="restored")

        # Damage, each to a copy of its own.
        victim_event = AuditEvent._base_manager.order_by("id")[3].pk
        forged = certificates[0]
        removed = certificates[1].pdf.name
        cases = {
            "audit": (
                f"ALTER TABLE audit_auditevent DISABLE TRIGGER {AUDIT_TRIGGER};"
                f"DELETE FROM audit_auditevent WHERE id = {victim_event};",
                None,
                [f"audit trail: 1 event of the manifest is missing: id {victim_event}"],
            ),
            "file": (
                None,
                removed,
                [
                    f"file {removed} (approvals.Certificate.pdf) is missing from MEDIA_ROOT",
                    f"certificate {certificates[1].number} (id {certificates[1].pk}): its PDF {removed} is missing",
                ],
            ),
            "certificate": (
                f"UPDATE approvals_certificate SET verification_code = 'forged-code-0000000000' WHERE id = {forged.pk};",
                None,
                [
                    f"certificate {forged.number} (id {forged.pk}) differs from the manifest: verification code"
                ],
            ),
        }
        checks = {}
        for name, (sql, file_name, _expected) in cases.items():
            cluster.psql(f"CREATE DATABASE damaged_{name} TEMPLATE restored", database="postgres")
            damaged_media = tmp_path / f"damaged-{name}"
            shutil.copytree(restored_media, damaged_media)
            if sql:
                cluster.psql(sql, database=f"damaged_{name}")
            if file_name:
                (damaged_media / file_name).unlink()
            damaged_env = {
                **env,
                "DATABASE_URL": cluster.url(f"damaged_{name}"),
                "MEDIA_ROOT": str(damaged_media),
            }
            checks[name] = subprocess.Popen(  # the three checks run side by side
                [sys.executable, str(ROOT / "manage.py"), "check_restore", str(directory / "manifest.json")],
                env=damaged_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
        for name, process in checks.items():
            stdout, stderr = process.communicate(timeout=300)
            assert process.returncode == 1, (name, stdout, stderr)
            for message in cases[name][2]:
                assert message in stdout, (name, stdout)
            assert "does not match its backup's manifest" in stderr, (name, stderr)
