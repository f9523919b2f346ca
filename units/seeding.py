"""Loading the city's units from the project's CSV file."""

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from units.models import Unit, UnitKind
from units.names import UNITS_CSV, csv_rows


@dataclass
class SeedResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def read_unit_rows(path: Path = UNITS_CSV) -> list[dict]:
    rows = csv_rows(path)
    for row in rows:
        if row["kind"] not in UnitKind.values:
            raise ValueError(f"Unknown unit kind {row['kind']!r} for {row['code']}")
    return rows


@transaction.atomic
def units_seed(*, force: bool = False, path: Path = UNITS_CSV) -> SeedResult:
    """Create missing units; with force, also reset existing ones to the file.

    Without force an existing unit is left exactly as it is, so names edited
    in admin survive a re-run.
    """
    result = SeedResult()
    by_code = {unit.code: unit for unit in Unit.objects.all()}
    # Parents precede children in the file, so one pass resolves every parent.
    for order, row in enumerate(read_unit_rows(path), start=1):
        parent = by_code[row["parent_code"]] if row["parent_code"] else None
        wanted = {
            "name": row["name"],
            "kind": row["kind"],
            "parent": parent,
            "sort_order": order * 10,
        }
        unit = by_code.get(row["code"])
        if unit is None:
            unit = Unit.objects.create(code=row["code"], **wanted)
            by_code[unit.code] = unit
            result.created += 1
        elif force and any(getattr(unit, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(unit, key, value)
            unit.save()
            result.updated += 1
        else:
            result.unchanged += 1
    return result
