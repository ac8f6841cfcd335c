"""`manage.py backup_manifest [--output FILE] [--snapshot ID]`: the manifest of a backup (see
`sciencecity.ops.backup`).

Run it with the backup, at the moment of the database dump: `scripts/backup.py` exports a PostgreSQL snapshot,
gives it to `pg_dump --snapshot` and to this command's `--snapshot`, so that both read the same committed
state. Without `--snapshot` the manifest is read in one REPEATABLE READ transaction of its own: take it just
before the dump, and `check_restore` allows rows and files newer than the manifest. Files referenced by the
database but missing already are printed as warnings (the manifest is written all the same: a backup with a
missing file is worth more than none).
"""

from django.core.management.base import BaseCommand, CommandError

from sciencecity.ops.backup import BackupError, build_manifest, manifest_text, write_manifest


class Command(BaseCommand):
    help = (
        "Write the manifest of a backup: rows and largest key of every table, the audit trail's chain of "
        "digests, size and sha256 of every stored file, every certificate's facts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="the file to write (default: standard output)")
        parser.add_argument(
            "--snapshot",
            help="on PostgreSQL, read inside this exported snapshot (pg_export_snapshot()), as pg_dump does",
        )

    def handle(self, *args, output=None, snapshot=None, **options):
        def warn(message):
            self.stderr.write(self.style.WARNING(f"warning: {message}"))

        try:
            manifest = build_manifest(snapshot=snapshot, warn=warn)
        except BackupError as error:
            raise CommandError(str(error)) from None
        to_file = bool(output) and output != "-"
        if to_file:
            write_manifest(manifest, output)
        else:
            self.stdout.write(manifest_text(manifest), ending="")
        audit = manifest["audit"]
        summary = (
            f"manifest: {len(manifest['tables'])} tables, {sum(t['rows'] for t in manifest['tables'].values())} "
            f"rows, {audit['rows']} audit events (up to id {audit['last_id']}), {len(manifest['files'])} files, "
            f"{len(manifest['certificates'])} certificates"
        )
        if to_file:
            self.stdout.write(f"{summary} → {output}")
        else:
            self.stderr.write(summary)
