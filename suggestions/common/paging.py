"""A paginator for huge tables that estimates instead of counting.

An exact COUNT(*) over a million ideas costs tens of milliseconds on every
changelist page. On PostgreSQL we ask the planner instead: pg_class.reltuples
for an unfiltered table, EXPLAIN's row estimate for a filtered one; only when
the estimate is small do we count, and then only up to a cap, because
estimates of text searches can be far too low. SQLite (development) always counts.

Deep pages: OFFSET 25,000 over full rows visits 25,000 heap rows. page() first
takes the page's ids (an index-only scan when an index covers the filter and
the order, e.g. sugg_desk_newest), then loads just those rows.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

if TYPE_CHECKING:
    from django.core.paginator import Page
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models import QuerySet

EXACT_BELOW = 10_000


class EstimatedCountPaginator(Paginator):
    # True once count returned an estimate: the desk then shows "约 N".
    count_is_estimate = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        using = getattr(queryset, "db", "default")
        connection = connections[using]
        if connection.vendor != "postgresql" or not hasattr(queryset, "query"):
            return super().count
        if not queryset.query.where:
            estimate = _table_estimate(connection, queryset.model._meta.db_table)
        else:
            try:
                estimate = _explain_estimate(connection, queryset)
            except EmptyResultSet:
                # A filter that can match nothing (none(), an empty id list, an id out
                # of the column's range) compiles to no SQL at all: nothing to count.
                return 0
        if estimate is not None and estimate >= EXACT_BELOW:
            self.count_is_estimate = True
            return estimate
        # values("pk"): the rows' annotations (e.g. a group-size subquery per row)
        # would otherwise be computed for every row counted.
        capped = queryset.order_by().values("pk")[: EXACT_BELOW + 1].count()
        if capped <= EXACT_BELOW:
            return capped
        self.count_is_estimate = True
        return max(estimate or 0, capped)

    def page(self, number: int | str) -> Page:
        queryset = self.object_list
        if (
            not hasattr(queryset, "query")
            or connections[queryset.db].vendor != "postgresql"
            or queryset.query.distinct
        ):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def _table_estimate(connection: BaseDatabaseWrapper, table: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        row = cursor.fetchone()
    # reltuples is -1 for a table never analysed.
    return int(row[0]) if row and row[0] >= 0 else None


def _explain_estimate(connection: BaseDatabaseWrapper, queryset: QuerySet) -> int | None:
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
