"""`manage.py check_restore MANIFEST`: does this database and MEDIA_ROOT hold what the backup held?

Run it on a restored copy (`DATABASE_URL` and `MEDIA_ROOT` pointing at the copy), with the manifest written by
`backup_manifest` at backup time. It checks (`sciencecity.ops.backup.check_restore`):

- every migration applied at backup time is recorded in the copy;
- every table holds every row up to the manifest's largest primary key (rows added since are allowed);
- the audit trail up to the manifest's last event is the same sequence: its chain of digests matches, and a
  missing, added or altered event is named with its id or the range of ids it lies in;
- every file of the manifest is in MEDIA_ROOT with the same size and sha256, and every file the copy's
  database refers to exists;
- every certificate verifies through the lookup of the public verification page, by its verification code
  and by its number and check code, its facts are those of the manifest, and its stored PDF is present.

It prints a report and exits with status 1 on any discrepancy, naming each.
"""

from django.core.management.base import BaseCommand, CommandError

from sciencecity.ops.backup import BackupError, check_restore, read_manifest


class Command(BaseCommand):
    help = (
        "Check a restored copy against the manifest of its backup: rows, audit chain, files, certificates. "
        "Exits with status 1 on any discrepancy."
    )

    def add_arguments(self, parser):
        parser.add_argument("manifest", help="the manifest.json written by backup_manifest with the backup")

    def handle(self, *args, manifest, **options):
        try:
            recorded = read_manifest(manifest)
        except BackupError as error:
            raise CommandError(str(error)) from None
        write = self.stdout.write
        write(
            f"Checking this database and MEDIA_ROOT against {manifest} (taken {recorded['created_at']} by "
            f"version {recorded['platform_version']})"
        )
        report = check_restore(recorded)
        for line in report.summary:
            write(self.style.SUCCESS(f"  ok    {line}"))
        for line in report.notes:
            write(f"  note  {line}")
        for line in report.problems:
            write(self.style.ERROR(f"  FAIL  {line}"))
        if not report.ok:
            raise CommandError(
                f"the restored copy does not match its backup's manifest: {len(report.problems)} "
                f"discrepanc{'y' if len(report.problems) == 1 else 'ies'}"
            )
        write(self.style.SUCCESS("The restored copy holds everything its backup's manifest lists."))
