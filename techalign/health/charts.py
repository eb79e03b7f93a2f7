"""Charts as SVG, drawn on the server: no JavaScript, readable without styles, accessible
(a title and a description, and every value as a label or in the table next to the chart).

Only presentation attributes are used, no `style`, so the pages' Content-Security-Policy
needs no exception.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from dataclasses import dataclass

from django.utils.html import escape

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 36, 56
# Distinguishable for the common colour-vision deficiencies (Okabe–Ito).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]


@dataclass(frozen=True)
class Series:
    label: str
    values: list[float | None]
    color: str = ""


def nice_max(value: float) -> tuple[float, float]:
    """An axis maximum at or above `value` and a round tick step (1, 2 or 5 × 10^n)."""
    if value <= 0:
        return 1.0, 0.25
    exponent = math.floor(math.log10(value / 4))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * 10**exponent
        if step * 4 >= value:
            return step * 4, step
    return value, value / 4  # pragma: no cover - the loop always returns


def _number(value: float, unit: str) -> str:
    text = f"{value:.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:.1f}"
    return f"{text}{unit}"


def _frame(title: str, description: str, body: list[str], legend: list[Series]) -> str:
    # Ids unique per chart, so several charts can share a page.
    ident = "chart-" + hashlib.sha1((title + description).encode()).hexdigest()[:10]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="sans-serif" font-size="12">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        f'<text x="{LEFT}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
        *body,
    ]
    x = WIDTH - RIGHT
    for series in reversed(legend):
        width = 18 + sum(12 if unicodedata.east_asian_width(c) in "WF" else 7 for c in series.label)
        x -= width
        parts.append(f'<rect x="{x}" y="10" width="10" height="10" fill="{series.color}"/>')
        parts.append(f'<text x="{x + 14}" y="19">{escape(series.label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _axes(categories: list[str], top: float, step: float, unit: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    ticks = round(top / step)
    for i in range(ticks + 1):
        value = step * i
        y = HEIGHT - BOTTOM - plot_h * value / top
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_number(value, unit))}</text>"
        )
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    every = max(1, math.ceil(len(categories) * 60 / (WIDTH - LEFT - RIGHT)))
    for i, category in enumerate(categories):
        if i % every:
            continue
        x = LEFT + slot * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
            f"{escape(category)}</text>"
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#333"/>'
    )
    return parts


def _colored(series: list[Series]) -> list[Series]:
    return [
        Series(s.label, s.values, s.color or PALETTE[i % len(PALETTE)])
        for i, s in enumerate(series)
    ]


def column_chart(
    title: str,
    categories: list[str],
    series: list[Series],
    *,
    stacked: bool = False,
    unit: str = "",
    top: float | None = None,
) -> str:
    """Columns per category: side by side, or stacked. None values draw nothing."""
    series = _colored(series)
    if stacked:
        totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    else:
        totals = [
            max((s.values[i] or 0 for s in series), default=0) for i in range(len(categories))
        ]
    top, step = (top, top / 4) if top else nice_max(max(totals, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    body = _axes(categories, top, step, unit)
    group = slot * 0.7
    for i, category in enumerate(categories):
        base = 0.0
        for j, s in enumerate(series):
            value = s.values[i]
            if value is None:
                continue
            height = plot_h * value / top
            if stacked:
                x, width = LEFT + slot * i + (slot - group) / 2, group
                y = HEIGHT - BOTTOM - plot_h * base / top - height
                base += value
            else:
                width = group / len(series)
                x = LEFT + slot * i + (slot - group) / 2 + width * j
                y = HEIGHT - BOTTOM - height
            label = f"{category} · {s.label}: {_number(value, unit)}"
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{max(height, 0):.1f}" fill="{s.color}">'
                f"<title>{escape(label)}</title></rect>"
            )
            if not stacked and value and len(categories) * len(series) <= 24:
                body.append(
                    f'<text x="{x + width / 2:.1f}" y="{y - 4:.1f}" '
                    f'text-anchor="middle" font-size="10">'
                    f"{escape(_number(value, unit))}</text>"
                )
    return _frame(title, _describe(categories, series, unit), body, series)


def line_chart(title: str, categories: list[str], series: list[Series], *, unit: str = "") -> str:
    """One line with points per series; None values break the line."""
    series = _colored(series)
    values = [v for s in series for v in s.values if v is not None]
    top, step = nice_max(max(values, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    body = _axes(categories, top, step, unit)
    for s in series:
        points, marks = [], []
        for i, value in enumerate(s.values):
            if value is None:
                continue
            x = LEFT + slot * (i + 0.5)
            y = HEIGHT - BOTTOM - plot_h * value / top
            points.append(f"{x:.1f},{y:.1f}")
            label = f"{categories[i]} · {s.label}: {_number(value, unit)}"
            marks.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{s.color}">'
                f"<title>{escape(label)}</title></circle>"
            )
            marks.append(
                f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" '
                f'font-size="10">{escape(_number(value, unit))}</text>'
            )
        if len(points) > 1:
            body.append(
                f'<polyline points="{" ".join(points)}" fill="none" '
                f'stroke="{s.color}" stroke-width="2"/>'
            )
        body += marks
    return _frame(title, _describe(categories, series, unit), body, series)


def _describe(categories: list[str], series: list[Series], unit: str) -> str:
    """The chart's data as one sentence per series, for screen readers."""
    return " ".join(
        f"{s.label}: "
        + ", ".join(
            f"{c} {_number(v, unit)}"
            for c, v in zip(categories, s.values, strict=True)
            if v is not None
        )
        + "."
        for s in series
    )
