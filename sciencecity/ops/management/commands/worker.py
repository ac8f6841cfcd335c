"""`manage.py worker`: django_tasks_db's `db_worker` that waits out a database outage instead of exiting.

`db_worker` stops at the first database error that is not a lock; under systemd that is a restart, elsewhere a
worker gone until someone notices. This one logs the outage, waits (1 s, doubling up to 30 s) and polls again,
so that a database restart needs no manual step. The options are db_worker's.
"""

import logging
import time

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

logger = logging.getLogger("sciencecity.ops.worker")
LONGEST_WAIT_SECONDS = 30


class Command(DbWorkerCommand):
    help = "Run background tasks (db_worker), waiting out database outages instead of exiting."

    def handle(self, *args, **options):
        wait, failed_at = 1, 0.0
        while True:
            try:
                return super().handle(*args, **options)
            except (OperationalError, InterfaceError) as error:
                if time.monotonic() - failed_at > 2 * LONGEST_WAIT_SECONDS:
                    wait = 1  # a new outage, not the same one going on
                failed_at = time.monotonic()
                logger.warning("database unavailable (%s); polling again in %d s", str(error).strip(), wait)
                connections.close_all()
                time.sleep(wait)
                wait = min(wait * 2, LONGEST_WAIT_SECONDS)
