"""Chart geometry for the dashboard: numbers in, shapes and label strings out.

The charts are drawn on the server as SVG and HTML, not on a canvas in the browser:
every label is text in the page (a test can read it, a screen reader too, nothing is
truncated by a drawing library), the page works without JavaScript, and the strict CSP
needs no exception. No figures are computed here: they come from the aggregation module
through suggestions.tallies.dashboard; this module only lays them out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta


def thousands(value: int | None) -> str:
    """38517 → "38,517" (the same in Chinese and English); None → "—"."""
    if value is None:
        return "—"
    return f"{int(value):,}"


def percent(ratio: float | None) -> str:
    """0.03594 → "3.6%" (one decimal); None → "—"."""
    if ratio is None:
        return "—"
    return f"{ratio * 100:.1f}%"


def integer_ticks(maximum: int, *, target: int = 5) -> list[int]:
    """Axis ticks for counts: 0 to a top ≥ maximum in steps of 1, 2 or 5 × 10^k.

    Counts are whole numbers, so the step is never below 1 (no 0.2, 0.4 ticks).
    """
    if maximum <= 0:
        return [0, 1]
    raw = maximum / target
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = magnitude
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if step >= raw:
            break
    step = max(1, int(step))
    top = math.ceil(maximum / step) * step
    return list(range(0, top + 1, step))


@dataclass
class Bar:
    label: str
    value: int
    share: float  # of the largest value, 0..1 (bar length)
    part: float | None = None  # of the sum of all values, 0..1 (the percentage shown)
    unit_id: int | None = None  # a unit's bar links to the unit's page
    own: bool = False  # the 本级 bar (ideas filed on the page's unit itself)
    note: int | None = None  # a second figure shown after the value (excellent ideas)

    @property
    def length(self) -> int:
        """Bar length in the 0..1000 viewBox of the bar's SVG."""
        return round(self.share * 1000)

    @property
    def value_text(self) -> str:
        return thousands(self.value)

    @property
    def part_text(self) -> str:
        return percent(self.part)


def bars(items: list[tuple[str, int]], *, with_part: bool = False) -> list[Bar]:
    """Horizontal bars, largest first, lengths relative to the largest value."""
    items = sorted(items, key=lambda item: -item[1])
    top = max((value for _label, value in items), default=0)
    whole = sum(value for _label, value in items)
    return [
        Bar(
            label=label,
            value=value,
            share=(value / top) if top else 0.0,
            part=(value / whole) if with_part and whole else None,
        )
        for label, value in items
    ]


@dataclass
class DailyChart:
    """A column chart of counts per day in an SVG viewBox of width × height."""

    width: int
    height: int
    font: int
    left: int
    bottom: int
    top: int = 0
    columns: list[dict] = field(default_factory=list)
    y_ticks: list[dict] = field(default_factory=list)
    x_labels: list[dict] = field(default_factory=list)
    days: list[dict] = field(default_factory=list)  # the text alternative: every day

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def plot_right(self) -> int:
        return self.width - self.font

    @property
    def base_y(self) -> int:
        return self.height - self.bottom


MAX_FILLED_DAYS = 120


def daily_chart(
    points: dict[date, int],
    *,
    width: int,
    height: int,
    font: int,
    max_labels: int,
) -> DailyChart:
    """Lay out per-day counts: every day from the first to the last (gaps as 0), integer
    y ticks formatted with separators, at most max_labels day labels (every n-th day).

    Over more than MAX_FILLED_DAYS (stray ideas long after a campaign's weeks) only the
    days with ideas are drawn, so the campaign's days do not shrink to a sliver.
    """
    days: list[date] = sorted(points)
    if days and (days[-1] - days[0]).days < MAX_FILLED_DAYS:
        day, last, days = days[0], days[-1], []
        while day <= last:
            days.append(day)
            day += timedelta(days=1)
    values = [points.get(day, 0) for day in days]
    ticks = integer_ticks(max(values, default=0))
    widest = max(len(thousands(tick)) for tick in ticks)
    chart = DailyChart(
        width=width,
        height=height,
        font=font,
        # Room for the widest tick label (digits are about 0.6 em wide) and a gap.
        left=round(widest * font * 0.62) + font,
        bottom=round(font * 2),
        top=round(font * 0.8),
    )
    plot_h = chart.base_y - chart.top
    top_value = ticks[-1]
    for tick in ticks:
        y = chart.base_y - plot_h * tick / top_value
        chart.y_ticks.append(
            {"y": round(y, 1), "text_y": round(y + font * 0.35, 1), "label": thousands(tick)}
        )
    if days:
        slot = (chart.plot_right - chart.left) / len(days)
        same_year = days[0].year == days[-1].year
        every = max(
            1, math.ceil(len(days) / (max_labels if same_year else max(2, max_labels // 2)))
        )
        for index, (day, value) in enumerate(zip(days, values, strict=True)):
            h = plot_h * value / top_value
            x = chart.left + index * slot
            label = f"{day.month}-{day.day}" if same_year else f"{day.year}-{day.month}-{day.day}"
            chart.columns.append(
                {
                    "x": round(x + slot * 0.15, 1),
                    "y": round(chart.base_y - h, 1),
                    "w": round(slot * 0.7, 1),
                    "h": round(h, 1),
                    "title": f"{day.isoformat()}：{thousands(value)}",
                }
            )
            chart.days.append({"day": day, "label": label, "value": value})
            if index % every == 0:
                chart.x_labels.append(
                    {
                        "x": round(x + slot / 2, 1),
                        "y": chart.base_y + round(font * 1.4),
                        "label": label,
                    }
                )
    return chart
