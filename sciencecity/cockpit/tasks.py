"""The cockpit's background work: rendering a monthly report."""

from django_tasks import task

from .services import generate_report


@task()
def generate_report_task(report_id: int) -> str:
    report = generate_report(report_id)
    return "" if report is None else report.status
