"""The cockpit as its readers see it: the sections with their figures beside the same period last year, the
charts with their labels, the campaign's ranking and the teams' outcomes, from two readings (the period's
and last year's). The page, the API and the monthly report all present this one structure."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse

from sciencecity.workdays import clock

from . import charts, figures
from .periods import Period
from .snapshots import Reading, reading


@dataclass
class Cell:
    key: str
    label: str
    definition: str
    unit: str
    value: object
    last_year: object = None
    in_period: bool = True
    url: str = ""
    is_rate: bool = False

    @property
    def change(self):
        """The change against the same period last year (None where it cannot be said): in per cent of last
        year's figure, or for a rate in percentage points."""
        if not self.in_period or self.value is None or self.last_year is None:
            return None
        if self.is_rate:
            return round(float(self.value) - float(self.last_year), 1)
        if not self.last_year:
            return None
        return round((float(self.value) - float(self.last_year)) * 100 / float(self.last_year), 1)

    @property
    def change_unit(self) -> str:
        return "pp" if self.is_rate else "%"

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "definition": self.definition,
            "unit": self.unit,
            "value": self.value,
            "last_year": self.last_year if self.in_period else None,
            "change": self.change,
            "change_unit": self.change_unit,
            "in_period": self.in_period,
        }


@dataclass
class ChartView:
    key: str
    title: str
    in_period: bool
    horizontal: bool
    map: bool
    categories: list
    series: list  # [{figure, label, unit, values, urls}]
    user_labels: bool = False  # the categories are named by records (departments, policies), not by choices

    @property
    def rows(self) -> list[dict]:
        """One row per category with a (number, link) cell per series: the chart's table."""
        return [
            {
                **category,
                "cells": [(series["values"][index], series["urls"][index]) for series in self.series],
            }
            for index, category in enumerate(self.categories)
        ]

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "in_period": self.in_period,
            "categories": self.categories,
            "series": [
                {key: value for key, value in series.items() if key != "urls"} for series in self.series
            ],
        }


@dataclass
class Section:
    key: str
    title: str
    cells: list = field(default_factory=list)
    charts: list = field(default_factory=list)


@dataclass
class Board:
    period: Period
    as_of: datetime.datetime
    last_year_as_of: datetime.datetime
    sections: list
    ranking: dict
    teams: list

    def cell(self, key: str) -> Cell:
        return next(cell for section in self.sections for cell in section.cells if cell.key == key)

    def chart(self, key: str) -> ChartView:
        return next(chart for section in self.sections for chart in section.charts if chart.key == key)


def records_url(key: str, period: Period, **query) -> str:
    return f"{reverse('cockpit:records', args=[key])}?{urlencode({'period': period.key, **query})}"


def build(period: Period, today: datetime.date | None = None, *, links: bool = True) -> Board:
    today = today or clock.today()
    now: Reading = reading(period, today)
    before: Reading = reading(period.same_last_year(), today)
    sections = {key: Section(key, str(title)) for key, title in figures.SECTIONS.items()}
    for item in (*figures.FIGURES, *figures.RATES):
        is_rate = isinstance(item, figures.Rate)
        sections[item.section].cells.append(
            Cell(
                key=item.key,
                label=str(item.label),
                definition=str(item.definition),
                unit=str(item.unit),
                value=now.figures.get(item.key),
                last_year=before.figures.get(item.key),
                in_period=item.in_period,
                is_rate=is_rate,
                url=records_url(item.numerator if is_rate else item.key, period) if links else "",
            )
        )
    for chart in charts.CHARTS:
        shaped = charts.shaped(chart, now.charts.get(chart.key, {}))
        dimension = charts.DIMENSIONS[chart.dimension].key
        series = []
        for part in shaped["series"]:
            figure = figures.BY_KEY[part["figure"]]
            series.append(
                {
                    "figure": figure.key,
                    "label": str(figure.label),
                    "unit": str(figure.unit),
                    "values": part["values"],
                    "urls": [
                        records_url(figure.key, period, by=dimension, value=category["value"])
                        if links
                        else ""
                        for category in shaped["categories"]
                    ],
                }
            )
        sections[chart.section].charts.append(
            ChartView(
                chart.key,
                str(chart.title),
                chart.in_period,
                chart.horizontal,
                chart.map,
                shaped["categories"],
                series,
                charts.DIMENSIONS[chart.dimension].order != "choices",
            )
        )
    return Board(
        period=period,
        as_of=now.as_of,
        last_year_as_of=before.as_of,
        sections=list(sections.values()),
        ranking=now.extras.get("ranking") or {},
        teams=now.extras.get("teams") or [],
    )
