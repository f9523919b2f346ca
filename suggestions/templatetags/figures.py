"""Number formatting for figures in templates: the dashboard, reports and the showcase."""

from django import template

from suggestions.tallies.charts import percent, thousands

register = template.Library()


@register.filter(name="thousands")
def thousands_filter(value) -> str:
    """{{ 38517|thousands }} → 38,517; None → —."""
    if value is None or value == "":
        return "—"
    try:
        return thousands(int(value))
    except (TypeError, ValueError):
        return str(value)


@register.filter(name="percent")
def percent_filter(ratio) -> str:
    """{{ 0.03594|percent }} → 3.6% (one decimal); None → —."""
    if ratio is None or ratio == "":
        return "—"
    return percent(float(ratio))
