"""Columns of the screening desk's changelist, built to be read at a glance.

Each column is a small display method; the widths, the one-line title with its
muted snippet and the status chip's colours are in static/css/desk.css, and at a
phone's width the same cells become one card per idea.
"""

from django.contrib import admin
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

SNIPPET_CHARS = 40


def score_text(mean: float | None, count: int) -> str:
    """'4.20（3人）', or '—' before anyone scored."""
    if mean is None or not count:
        return "—"
    return gettext_lazy("%(mean).2f（%(n)d人）") % {"mean": mean, "n": count}


class DeskColumnsMixin:
    """Mix into the Suggestion ModelAdmin; list_display names these methods."""

    @admin.display(description=gettext_lazy("标题 / 内容"), ordering="title")
    def title_block(self, obj):
        snippet = " ".join(obj.content[: SNIPPET_CHARS + 20].split())[:SNIPPET_CHARS]
        if len(obj.content) > SNIPPET_CHARS:
            snippet += "…"
        return format_html(
            '<span class="idea-title" title="{}">{}</span><span class="idea-snippet">{}</span>',
            obj.title,
            obj.title,
            snippet,
        )

    @admin.display(description=gettext_lazy("状态"), ordering="status")
    def status_chip(self, obj):
        return format_html(
            '<span class="status-chip status-{}">{}</span>', obj.status, obj.get_status_display()
        )

    # Unscored ideas sort as 0 so "best first" does not start with them (index sugg_desk_score).
    @admin.display(
        description=gettext_lazy("平均分（人数）"), ordering=Coalesce("score_mean", Value(0.0))
    )
    def score_with_count(self, obj):
        return score_text(obj.score_mean, obj.score_count)

    @admin.display(description=gettext_lazy("收到"), ordering="received_at")
    def received_short(self, obj):
        local = timezone.localtime(obj.received_at)
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            local.isoformat(),
            local.strftime("%Y-%m-%d %H:%M"),
            local.strftime("%m-%d %H:%M"),
        )
