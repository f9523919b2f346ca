"""Chart layout and number formatting (plain Python, no database)."""

import math
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from suggestions.tallies.charts import (
    MAX_FILLED_DAYS,
    bars,
    daily_chart,
    integer_ticks,
    percent,
    thousands,
)


def test_thousands_separators_in_chinese_and_english_alike():
    assert thousands(38517) == "38,517"
    assert thousands(151681) == "151,681"
    assert thousands(999) == "999"
    assert thousands(0) == "0"
    assert thousands(None) == "—"


def test_rates_have_one_decimal():
    assert percent(346 / 38517) == "0.9%"
    assert percent(1 / 7) == "14.3%"
    assert percent(1.0) == "100.0%"
    assert percent(None) == "—"


@given(st.integers(min_value=0, max_value=10**9))
def test_count_axes_have_whole_number_ticks_that_cover_the_largest_count(maximum):
    ticks = integer_ticks(maximum)
    assert ticks[0] == 0 and ticks[-1] >= maximum
    assert all(isinstance(tick, int) for tick in ticks)
    steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1
    step = steps.pop()
    assert step >= 1
    # 1, 2 or 5 × 10^k, and not more than about five intervals.
    magnitude = 10 ** math.floor(math.log10(step))
    assert step // magnitude in (1, 2, 5) and step % magnitude == 0
    assert len(ticks) <= 7


def test_small_counts_get_steps_of_one_not_fractions():
    assert integer_ticks(3) == [0, 1, 2, 3]
    assert integer_ticks(0) == [0, 1]


@given(st.lists(st.tuples(st.text(min_size=1, max_size=30), st.integers(0, 10**6)), max_size=80))
def test_bars_keep_every_label_whole_and_lengths_relative_to_the_largest(items):
    result = bars(items, with_part=True)
    assert sorted(bar.label for bar in result) == sorted(label for label, _ in items)
    assert [bar.value for bar in result] == sorted((v for _, v in items), reverse=True)
    for bar in result:
        assert 0 <= bar.length <= 1000
        assert bar.value_text == f"{bar.value:,}"
    if result and result[0].value:
        assert result[0].length == 1000


@given(
    st.dictionaries(
        st.dates(min_value=date(2021, 1, 1), max_value=date(2023, 4, 30)),
        st.integers(0, 10**6),
        max_size=60,
    ),
    st.integers(min_value=2, max_value=14),
)
def test_the_daily_chart_draws_every_day_inside_its_box_with_few_labels(points, max_labels):
    chart = daily_chart(points, width=720, height=300, font=14, max_labels=max_labels)
    if points:
        span = (max(points) - min(points)).days + 1
        # Gaps drawn as zero, unless stray days far apart (then only days with ideas).
        assert len(chart.columns) == (span if span <= MAX_FILLED_DAYS else len(points))
        assert sum(day["value"] for day in chart.days) == sum(points.values())
    assert len(chart.x_labels) <= max_labels
    for column in chart.columns:
        assert column["h"] >= 0 and column["y"] >= chart.top - 0.1
        assert column["y"] + column["h"] <= chart.base_y + 0.1
        assert column["x"] >= chart.left and column["x"] + column["w"] <= chart.plot_right + 0.1
    for tick in chart.y_ticks:
        assert "." not in tick["label"]
    for label in chart.x_labels:
        assert not label["label"].endswith(("...", "…"))
    # Day labels do not overlap (a digit or dash is at most about 0.6 em wide).
    for a, b in zip(chart.x_labels, chart.x_labels[1:], strict=False):
        widest = max(len(a["label"]), len(b["label"])) * 0.6 * chart.font
        assert b["x"] - a["x"] >= widest, (a, b)


def test_stray_days_long_after_the_campaign_do_not_squash_its_weeks():
    start = date(2021, 2, 26)
    points = {start + timedelta(days=i): 2000 for i in range(20)}
    points[date(2026, 12, 1)] = 3
    chart = daily_chart(points, width=720, height=300, font=14, max_labels=10)
    assert len(chart.columns) == 21  # only the days with ideas
    assert chart.x_labels[0]["label"] == "2021-2-26"  # two years: the year is shown
