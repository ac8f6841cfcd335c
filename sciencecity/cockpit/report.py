"""The zone's monthly report as a PDF: HTML rendered by WeasyPrint with the Noto Sans CJK SC font, always in
Chinese (an official document: the kept file is the same for every reader).

It presents the cockpit's board of the month (`board.build`: the same figures, last year's beside them),
its charts drawn as plain bars in the page's own CSS (no script runs in a PDF), and three lists: the
red-lit key projects, the most overdue problems, and the month's pioneers (the campaign's red flags and the
pioneer teams' outcomes). Fetches nothing from the network or the file system.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from sciencecity.workdays import clock

from . import figures
from .board import build
from .listings import LISTINGS
from .periods import Period

PDF_LANGUAGE = "zh-hans"
TEMPLATE = "cockpit/report_pdf.html"
LISTED = 50  # rows of each list in the report (the count says how many there are)


def _bars(chart) -> list[dict]:
    """The chart's rows with each number's width as a share of the largest, for the CSS bars."""
    largest = max((value or 0 for series in chart.series for value in series["values"]), default=0)
    rows = []
    for row in chart.rows:
        rows.append(
            {
                "label": row["label"],
                "cells": [
                    {"value": value, "width": round(100 * (value or 0) / largest, 1) if largest else 0}
                    for value, _url in row["cells"]
                ],
            }
        )
    return rows


def _listed(key: str, period: Period, today, order: tuple = ()):
    figure = figures.BY_KEY[key]
    listing = LISTINGS[figure.kind]
    queryset = figure.queryset(period, today)
    records = listing.rows(queryset)
    if order:
        records = records.order_by(*order)
    rows = [listing.values(record) for record in records[:LISTED]]
    return {
        "columns": [str(column.label) for column in listing.columns],
        "rows": rows,
        "count": queryset.count(),
    }


def render_report_html(month: Period) -> str:
    today = clock.today()
    with translation.override(PDF_LANGUAGE):
        board = build(month, today, links=False)
        overdue = _listed("problems_overdue", month, today, order=("due_date", "id"))  # longest overdue first
        context = {
            "site_name": settings.SITE_NAME,
            "board": board,
            "period": month,
            "generated_at": clock.now(),
            "charts": [
                {"title": chart.title, "series": [s["label"] for s in chart.series], "rows": _bars(chart)}
                for section in board.sections
                for chart in section.charts
                if chart.categories and not chart.map
            ]
            + [
                {
                    "title": board.chart("problems_by_area").title,
                    "series": [board.chart("problems_by_area").series[0]["label"]],
                    "rows": _bars(board.chart("problems_by_area")),
                }
            ],
            "red": _listed("key_projects_red", month, today),
            "overdue": overdue,
            "pioneers": [row for row in board.ranking.get("rows", []) if row["distinction"] == "pioneer"],
        }
        return render_to_string(TEMPLATE, context)


def render_report_pdf(month: Period) -> tuple[bytes, int]:
    """The report as an A4 PDF (bytes) and its number of pages."""
    from weasyprint import HTML  # a heavy import that only renderers need
    from weasyprint.urls import URLFetcher

    document = HTML(
        string=render_report_html(month), url_fetcher=URLFetcher(allowed_protocols={"data"})
    ).render()
    return document.write_pdf(), len(document.pages)
