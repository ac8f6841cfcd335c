"""Backups that prove themselves: the manifest written with a backup, and the check of a restored copy.

A backup is a `pg_dump` of the database and a copy of MEDIA_ROOT (`scripts/backup.py`). Neither says whether
what comes back from it is whole, so a manifest is written beside them, read inside the same database snapshot
as the dump when the backup script gives one (`pg_export_snapshot()` / `SET TRANSACTION SNAPSHOT`):

- every table's row count and largest primary key: a restored copy must hold every row up to that key;
- the audit trail as a chain of digests over its events in id order (each event's every column, chained with
  the digest before it), with the ids present and a checkpoint every `AUDIT_CHECKPOINT_EVERY` events, so that a
  copy proves it holds the same sequence of events, not merely as many, and a difference is located;
- every file a FileField refers to: its path, size and sha256 (and the references whose file was already
  missing when the backup was taken);
- every certificate's public facts and a digest of its verification code, so that a copy whose certificates
  would no longer verify, or verify as something else, is caught;
- the migrations applied, the platform's version and the time.

`check_restore(manifest)` compares a database and MEDIA_ROOT with a manifest and returns a `RestoreReport`;
`manage.py backup_manifest` and `manage.py check_restore` are the command-line faces of the two.

The manifest holds no secret: counts, digests, the paths of stored files (with the names their uploaders
gave them) and certificates' public facts; verification codes only as digests.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from sciencecity.approvals.models import Certificate
from sciencecity.approvals.selectors import find_certificate
from sciencecity.audit.models import AuditEvent

FORMAT = "sciencecity-backup-manifest/1"
AUDIT_CHAIN_START = hashlib.sha256(b"sciencecity audit chain v1").hexdigest()
AUDIT_CHECKPOINT_EVERY = 100
# The public facts of a certificate compared between the manifest and a copy, in the order they are named.
CERTIFICATE_FACTS = (
    "number",
    "certificate_code",
    "name",
    "status",
    "application_id",
    "task_id",
    "enterprise_id",
    "project_id",
    "department_id",
    "on_pledge",
    "issued_at",
    "valid_until",
    "pdf",
)
SNAPSHOT_ID = re.compile(r"^[0-9A-Fa-f]+-[0-9A-Fa-f]+(-[0-9]+)?$")
CHUNK = 2000
SHOWN = 10  # ids or files listed in one message at most


class BackupError(Exception):
    """A manifest cannot be taken or read as asked (a wrong snapshot, a file that is no manifest)."""


class ManifestError(BackupError):
    """The manifest cannot be read or was not written by this platform."""


# --- reading the database --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    pk: str
    integer_pk: bool


def tables() -> list[Table]:
    """Every table of the installed models (many-to-many tables included) and Django's migration table."""
    found: dict[str, Table] = {}
    for model in [*apps.get_models(include_auto_created=True), MigrationRecorder.Migration]:
        options = model._meta
        if options.proxy or not options.managed or options.db_table in found:
            continue
        pk = options.pk
        value_field = pk.target_field if pk.is_relation else pk
        found[options.db_table] = Table(
            name=options.db_table,
            label=options.label,
            pk=pk.column,
            integer_pk=isinstance(value_field, models.IntegerField),
        )
    return sorted(found.values(), key=lambda table: table.name)


def _scalar_row(sql: str, params: Iterable = ()) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchone()


def count_table(table: Table, up_to: int | None = None) -> tuple[int, int | None]:
    """(rows, largest primary key) of a table; with `up_to`, of its rows whose key is at most `up_to`."""
    quote = connection.ops.quote_name
    name, pk = quote(table.name), quote(table.pk)
    largest = f"MAX({pk})" if table.integer_pk else "NULL"
    if up_to is None:
        rows, max_pk = _scalar_row(f"SELECT COUNT(*), {largest} FROM {name}")  # noqa: S608
    else:
        rows, max_pk = _scalar_row(
            f"SELECT COUNT(*), {largest} FROM {name} WHERE {pk} <= %s",  # noqa: S608
            [up_to],
        )
    return rows, (int(max_pk) if max_pk is not None else None)


def _moment(value: datetime.datetime | datetime.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    return value.isoformat()


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


AUDIT_COLUMNS = (
    "id",
    "created_at",
    "actor_id",
    "action",
    "target_type_id",
    "target_id",
    "target_repr",
    "before",
    "after",
    "request_id",
    "ip_address",
)


def audit_events(up_to: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(id, canonical bytes) of every audit event in id order, up to id `up_to` when given. The target's type is
    named by its natural key (app label and model), so the bytes do not lean on content-type ids."""
    content_types = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}
    events = AuditEvent._base_manager.order_by("id")
    if up_to is not None:
        events = events.filter(id__lte=up_to)
    for row in events.values_list(*AUDIT_COLUMNS).iterator(chunk_size=CHUNK):
        values = dict(zip(AUDIT_COLUMNS, row, strict=True))
        values["created_at"] = _moment(values["created_at"])
        values["target_type"] = content_types.get(values.pop("target_type_id"))
        values["ip_address"] = str(values["ip_address"]) if values["ip_address"] is not None else None
        yield values["id"], canonical(values)


def chain(previous: str, event: bytes) -> str:
    return hashlib.sha256(previous.encode() + b"\n" + event).hexdigest()


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """Sorted ids as [first, last] runs: [1, 2, 3, 7] -> [[1, 3], [7, 7]]."""
    ranges: list[list[int]] = []
    for value in ids:
        if ranges and value == ranges[-1][1] + 1:
            ranges[-1][1] = value
        else:
            ranges.append([value, value])
    return ranges


def audit_chain(up_to: int | None = None) -> dict:
    """The audit trail's chain: its final digest, a checkpoint every AUDIT_CHECKPOINT_EVERY events, its ids."""
    digest, checkpoints, ids, last_id = AUDIT_CHAIN_START, [], [], None
    for position, (event_id, data) in enumerate(audit_events(up_to), start=1):
        digest = chain(digest, data)
        ids.append(event_id)
        last_id = event_id
        if position % AUDIT_CHECKPOINT_EVERY == 0:
            checkpoints.append([event_id, digest])
    return {
        "rows": len(ids),
        "last_id": last_id,
        "digest": digest,
        "checkpoint_every": AUDIT_CHECKPOINT_EVERY,
        "checkpoints": checkpoints,
        "ids": id_ranges(ids),
    }


def file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    return [
        (model, model_field)
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.managed
        for model_field in model._meta.concrete_fields
        if isinstance(model_field, models.FileField)
    ]


def file_references() -> Iterator[tuple[str, models.FileField, object]]:
    """(stored name, field, primary key) of every non-empty FileField value in the database."""
    for model, model_field in file_fields():
        rows = (
            model._base_manager.exclude(**{model_field.attname: ""})
            .exclude(**{f"{model_field.attname}__isnull": True})
            .order_by("pk")
            .values_list(model_field.attname, "pk")
        )
        for name, pk in rows.iterator(chunk_size=CHUNK):
            yield name, model_field, pk


def field_label(model_field: models.Field) -> str:
    return f"{model_field.model._meta.label}.{model_field.name}"


def file_digest(storage, name: str) -> tuple[int, str] | None:
    """(size, sha256) of a stored file, or None when it is not there."""
    try:
        if not storage.exists(name):
            return None
        digest, size = hashlib.sha256(), 0
        with storage.open(name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
    except OSError:
        return None
    return size, digest.hexdigest()


def certificate_facts(certificate: Certificate) -> dict:
    facts = {name: getattr(certificate, name) for name in CERTIFICATE_FACTS}
    facts["issued_at"] = _moment(facts["issued_at"])
    facts["valid_until"] = _moment(facts["valid_until"])
    facts["pdf"] = certificate.pdf.name or ""
    return facts


def verification_code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app_label, []).append(name)
    return {app_label: sorted(names) for app_label, names in sorted(applied.items())}


def platform_version() -> str:
    try:
        return importlib.metadata.version("sciencecity")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --- the manifest ----------------------------------------------------------------------------------------


def _read_consistently(snapshot: str | None):
    """Open the transaction the manifest is read in: on PostgreSQL REPEATABLE READ (one snapshot for every
    query) and, given `snapshot`, the very snapshot that pg_dump reads (exported by the backup script)."""
    if snapshot and not SNAPSHOT_ID.match(snapshot):
        raise BackupError(f"not a snapshot id: {snapshot!r}")
    if connection.vendor != "postgresql":
        if snapshot:
            raise BackupError("a snapshot needs PostgreSQL")
        return
    if len(connection.atomic_blocks) > 1:
        # Inside a caller's transaction (a test) the isolation level is the caller's.
        if snapshot:
            raise BackupError("a snapshot cannot be read inside a transaction that has started")
        return
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if snapshot:
            try:
                cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
            except DatabaseError as error:
                raise BackupError(f"cannot read snapshot {snapshot}: {error}".strip()) from None


def build_manifest(snapshot: str | None = None, warn=None) -> dict:
    """The manifest of the database and MEDIA_ROOT as they are now (as of `snapshot` on PostgreSQL).
    `warn(message)` hears of files referenced by the database but missing already."""
    connection.ensure_connection()
    with transaction.atomic():
        _read_consistently(snapshot)
        table_counts = {}
        for table in tables():
            rows, max_pk = count_table(table)
            table_counts[table.name] = {
                "model": table.label,
                "pk": table.pk,
                "rows": rows,
                "max_pk": max_pk,
            }
        audit = audit_chain()
        files: dict[str, dict] = {}
        missing: dict[str, list[str]] = {}
        for name, model_field, pk in file_references():
            reference = f"{field_label(model_field)}:{pk}"
            if name in files:
                files[name]["references"] += 1
                continue
            if name in missing:
                missing[name].append(reference)
                continue
            found = file_digest(model_field.storage, name)
            if found is None:
                missing[name] = [reference]
                if warn:
                    warn(f"{reference} refers to {name}, which is missing already")
                continue
            size, sha256 = found
            files[name] = {"size": size, "sha256": sha256, "field": field_label(model_field), "references": 1}
        certificates = []
        for certificate in Certificate._base_manager.order_by("pk").iterator(chunk_size=CHUNK):
            facts = certificate_facts(certificate)
            facts["id"] = certificate.pk
            facts["verification_code_sha256"] = verification_code_digest(certificate.verification_code)
            certificates.append(facts)
        migrations = applied_migrations()
    return {
        "format": FORMAT,
        "created_at": timezone.localtime().isoformat(timespec="seconds"),
        "platform_version": platform_version(),
        "django_version": django.get_version(),
        "database": {"vendor": connection.vendor, "snapshot": snapshot},
        "media_root": str(settings.MEDIA_ROOT),
        "migrations": migrations,
        "tables": table_counts,
        "audit": audit,
        "files": dict(sorted(files.items())),
        "files_missing_at_backup": dict(sorted(missing.items())),
        "certificates": certificates,
    }


def manifest_text(manifest: dict) -> str:
    return json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"


def write_manifest(manifest: dict, path) -> None:
    """Write the manifest to `path` whole or not at all (a partial file is renamed into place)."""
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(manifest_text(manifest), encoding="utf-8")
    partial.replace(target)


def read_manifest(path) -> dict:
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ManifestError(f"cannot read the manifest {path}: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ManifestError(f"{path} is not a manifest of this platform (format {FORMAT})")
    return manifest


# --- checking a restored copy ----------------------------------------------------------------------------


@dataclass
class RestoreReport:
    """What `check_restore` found: a summary line per part, notes (allowed differences) and problems."""

    summary: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def counted(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _listed(values: list, total: int | None = None) -> str:
    total = len(values) if total is None else total
    shown = ", ".join(str(value) for value in values[:SHOWN])
    return shown + (f" and {total - SHOWN} more" if total > SHOWN else "")


def _missing_ids(expected: list[list[int]], present: list[list[int]]) -> tuple[list[int], list[int]]:
    """(ids of `expected` not in `present`, ids of `present` not in `expected`), both sorted."""

    def expand(ranges):
        for first, last in ranges:
            yield from range(first, last + 1)

    expected_ids, present_ids = set(expand(expected)), set(expand(present))
    return sorted(expected_ids - present_ids), sorted(present_ids - expected_ids)


def check_tables(manifest: dict, report: RestoreReport) -> None:
    current = {table.name: table for table in tables()}
    existing = set(connection.introspection.table_names())
    problems_before, newer_tables, interleaved = len(report.problems), 0, []
    for name, recorded in manifest["tables"].items():
        if name not in existing:
            report.problems.append(f"table {name} ({recorded['model']}) is missing")
            continue
        table = current.get(name) or Table(
            name=name, label=recorded["model"], pk=recorded["pk"], integer_pk=recorded["max_pk"] is not None
        )
        total, _largest = count_table(table)
        if recorded["max_pk"] is None:
            if total < recorded["rows"]:
                report.problems.append(
                    f"table {name} ({recorded['model']}): {total} rows, the manifest counted {recorded['rows']}"
                )
            newer_tables += total > recorded["rows"]
            continue
        rows, _largest = count_table(table, up_to=recorded["max_pk"])
        if rows < recorded["rows"]:
            report.problems.append(
                f"table {name} ({recorded['model']}): {recorded['rows'] - rows} of the {recorded['rows']} "
                f"rows with {table.pk} up to {recorded['max_pk']} are missing"
            )
        elif rows > recorded["rows"]:
            interleaved.append(name)
        newer_tables += total > rows
    for name in sorted(set(current) - set(manifest["tables"])):
        report.notes.append(f"table {name} is not in the manifest (added by a later version)")
    if newer_tables:
        report.notes.append(
            f"{counted(newer_tables, 'table holds', 'tables hold')} rows newer than the manifest (allowed)"
        )
    if interleaved:
        report.notes.append(
            "tables with rows the manifest did not count among its keys (committed after it was read): "
            + _listed(interleaved)
        )
    if len(report.problems) == problems_before:
        report.summary.append(
            f"tables: {len(manifest['tables'])}, every row up to the manifest's largest key present"
        )


def check_audit(manifest: dict, report: RestoreReport) -> None:
    recorded = manifest["audit"]
    if recorded["last_id"] is None:
        report.summary.append("audit trail: empty in the manifest, nothing to compare")
        return
    checkpoints = dict(recorded["checkpoints"])
    digest, ids, first_difference, previous_checkpoint = AUDIT_CHAIN_START, [], None, 0
    for event_id, data in audit_events(up_to=recorded["last_id"]):
        digest = chain(digest, data)
        ids.append(event_id)
        if event_id in checkpoints:
            if first_difference is None and checkpoints[event_id] != digest:
                first_difference = (previous_checkpoint + 1, event_id)
            previous_checkpoint = event_id
    missing, unexpected = _missing_ids(recorded["ids"], id_ranges(ids))
    problems_before = len(report.problems)
    if missing:
        report.problems.append(
            f"audit trail: {counted(len(missing), 'event', 'events')} of the manifest "
            f"{'is' if len(missing) == 1 else 'are'} missing: id {_listed(missing)}"
        )
    if unexpected:
        report.problems.append(
            f"audit trail: {counted(len(unexpected), 'event', 'events')} not in the manifest among its ids: "
            f"id {_listed(unexpected)}"
        )
    if digest != recorded["digest"]:
        if first_difference is None:
            first_difference = (previous_checkpoint + 1, recorded["last_id"])
        report.problems.append(
            "audit trail: the chain of digests up to event "
            f"{recorded['last_id']} differs from the manifest; the first difference is among the events "
            f"with ids {first_difference[0]} to {first_difference[1]}"
            + ("" if missing or unexpected else " (an event was altered)")
        )
    if len(report.problems) == problems_before:
        report.summary.append(
            f"audit trail: {recorded['rows']} events up to id {recorded['last_id']}, the same sequence "
            "(chain of digests matches)"
        )
    newer = AuditEvent._base_manager.filter(id__gt=recorded["last_id"]).count()
    if newer:
        report.notes.append(
            f"audit trail: {counted(newer, 'event', 'events')} newer than the manifest (allowed)"
        )


def _storages() -> dict[str, object]:
    return {field_label(model_field): model_field.storage for _model, model_field in file_fields()}


def check_files(manifest: dict, report: RestoreReport) -> None:
    storages = _storages()
    problems_before = len(report.problems)
    for name, recorded in manifest["files"].items():
        storage = storages.get(recorded["field"], default_storage)
        found = file_digest(storage, name)
        if found is None:
            report.problems.append(f"file {name} ({recorded['field']}) is missing from MEDIA_ROOT")
        elif found[0] != recorded["size"]:
            report.problems.append(
                f"file {name} ({recorded['field']}) has {found[0]} bytes, the manifest says {recorded['size']}"
            )
        elif found[1] != recorded["sha256"]:
            report.problems.append(f"file {name} ({recorded['field']}) differs from the manifest (sha256)")
    referenced, absent = 0, []
    already_missing = manifest.get("files_missing_at_backup", {})
    for name, model_field, pk in file_references():
        referenced += 1
        if name in manifest["files"] or name in already_missing:
            continue
        if not model_field.storage.exists(name):
            absent.append(f"{field_label(model_field)}:{pk} → {name}")
    if absent:
        report.problems.append(
            f"{counted(len(absent), 'file', 'files')} referenced by the database but not in the manifest "
            "missing: " + _listed(absent)
        )
    if already_missing:
        report.notes.append(
            f"{counted(len(already_missing), 'file was', 'files were')} already missing when the backup was taken: "
            + _listed(sorted(already_missing))
        )
    if len(report.problems) == problems_before:
        report.summary.append(
            f"files: {len(manifest['files'])} of the manifest present with the same size and sha256; "
            f"{referenced} references in the database, every file present"
        )


def check_certificates(manifest: dict, report: RestoreReport) -> None:
    recorded = {facts["id"]: facts for facts in manifest["certificates"]}
    already_missing = manifest.get("files_missing_at_backup", {})
    problems_before = len(report.problems)
    seen, without_pdf = set(), []
    for certificate in Certificate._base_manager.order_by("pk").iterator(chunk_size=CHUNK):
        seen.add(certificate.pk)
        label = f"certificate {certificate.number} (id {certificate.pk})"
        # The public verification page (approvals.views.certificates.verify) and its lookup form find a
        # certificate through this function: by the code in its QR code, or by its number and check code.
        by_code = find_certificate(certificate.verification_code)
        if by_code is None or by_code.pk != certificate.pk:
            report.problems.append(f"{label} does not verify by its verification code (its QR code)")
        by_number = find_certificate(certificate.check_code, certificate.number)
        if by_number is None or by_number.pk != certificate.pk:
            report.problems.append(f"{label} does not verify by its number and check code")
        facts = certificate_facts(certificate)
        before = recorded.get(certificate.pk)
        if before is not None:
            changed = [name for name in CERTIFICATE_FACTS if facts[name] != before[name]]
            if verification_code_digest(certificate.verification_code) != before["verification_code_sha256"]:
                changed.insert(0, "verification code (its printed QR and check codes no longer verify)")
            if changed:
                report.problems.append(f"{label} differs from the manifest: {', '.join(changed)}")
        if certificate.pdf:
            if certificate.pdf.name in already_missing:
                pass  # missing at backup time already, noted with the files
            elif not certificate.pdf.storage.exists(certificate.pdf.name):
                report.problems.append(f"{label}: its PDF {certificate.pdf.name} is missing")
        elif certificate.status == Certificate.Status.VALID:
            without_pdf.append(certificate.number)
    lost = sorted(set(recorded) - seen)
    if lost:
        report.problems.append(
            f"{counted(len(lost), 'certificate', 'certificates')} of the manifest missing: "
            + _listed([f"{recorded[pk]['number']} (id {pk})" for pk in lost])
        )
    if without_pdf:
        report.notes.append(
            f"{counted(len(without_pdf), 'valid certificate has', 'valid certificates have')} no stored PDF yet "
            "(rendered at first download): " + _listed(without_pdf)
        )
    if len(report.problems) == problems_before:
        report.summary.append(
            f"certificates: {len(seen)} verify through the public verification lookup "
            f"({len(recorded)} in the manifest, unchanged), every stored PDF present"
        )


def check_migrations(manifest: dict, report: RestoreReport) -> None:
    applied = applied_migrations()
    missing = [
        f"{app_label}.{name}"
        for app_label, names in manifest["migrations"].items()
        for name in names
        if name not in applied.get(app_label, [])
    ]
    if missing:
        report.problems.append(
            f"{counted(len(missing), 'migration', 'migrations')} applied at backup time not recorded in the copy: "
            + _listed(missing)
        )
    else:
        report.summary.append("migrations: every migration applied at backup time is recorded in the copy")


def check_restore(manifest: dict) -> RestoreReport:
    """Compare this database and MEDIA_ROOT with `manifest`; every difference that loses or changes what the
    backup held is a problem, rows and files added since are notes."""
    report = RestoreReport()
    if manifest["platform_version"] != platform_version():
        report.notes.append(
            f"the manifest was written by version {manifest['platform_version']}, this is {platform_version()}"
        )
    if manifest["database"]["vendor"] != connection.vendor:
        report.notes.append(
            f"the manifest was written on {manifest['database']['vendor']}, this database is {connection.vendor}"
        )
    with transaction.atomic():
        _read_consistently(None)
        check_migrations(manifest, report)
        check_tables(manifest, report)
        check_audit(manifest, report)
        check_files(manifest, report)
        check_certificates(manifest, report)
    return report
