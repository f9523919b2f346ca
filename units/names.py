"""A unit's names and aliases, and the city's listed places, read from units/data/.

The single source for two readers that match names differently:

* the unit search (units.search): the terms the unit picker on the submission form filters by;
* the near-duplicate gazetteer (suggestions.duplicates.gazetteer): the places an idea's text
  names.

What both share lives here: reading the two files (jincheng-units.csv, places.csv; lines
starting with # are comments), a unit's curated aliases (the ``aliases`` column), the short
names derived from a unit's name and kind (``short_names``) and the places listed per county.
Which of these each reader uses, and what it leaves out, stays with the reader.

Plain Python: no Django and nothing from suggestions (import-linter contracts keep it so). The
gazetteer must stay free of Django, and this module sits in ``units`` because the data does
and because ``units`` may not import ``suggestions`` (the other direction is allowed).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
UNITS_CSV = DATA_DIR / "jincheng-units.csv"
PLACES_CSV = DATA_DIR / "places.csv"


@dataclass(frozen=True)
class UnitRow:
    """One unit of jincheng-units.csv, with its curated aliases split."""

    code: str
    name: str
    kind: str
    parent_code: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListedPlace:
    """One place of places.csv (a scenic spot, river, station …) and the county it lies in."""

    name: str
    kind: str
    county: str
    aliases: tuple[str, ...] = ()


def csv_rows(path: Path) -> list[dict[str, str]]:
    """The rows of one of the data files, comment lines skipped."""
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(filter(None, (cell or "").split("|")))


@lru_cache(maxsize=1)
def unit_rows() -> tuple[UnitRow, ...]:
    """The units of jincheng-units.csv, in file order (parents before children)."""
    return tuple(
        UnitRow(
            row["code"], row["name"], row["kind"], row["parent_code"], _split(row.get("aliases"))
        )
        for row in csv_rows(UNITS_CSV)
    )


@lru_cache(maxsize=1)
def listed_places() -> tuple[ListedPlace, ...]:
    """The places of places.csv, in file order."""
    return tuple(
        ListedPlace(row["name"], row["kind"], row["county"], _split(row["aliases"]))
        for row in csv_rows(PLACES_CSV)
    )


@lru_cache(maxsize=1)
def curated_aliases() -> dict[str, tuple[str, ...]]:
    """Unit code -> the aliases listed for it in jincheng-units.csv."""
    return {unit.code: unit.aliases for unit in unit_rows()}


@lru_cache(maxsize=1)
def _curated_all() -> frozenset[str]:
    return frozenset(alias for aliases in curated_aliases().values() for alias in aliases)


def short_names(name: str, kind: str) -> tuple[str, ...]:
    """The shorter names a unit's full name is commonly cut to, by kind.

    A county without 县/市/区 (泽州县 → 泽州; 城区 has nothing shorter), a town without
    镇/乡/街道 (北石店镇 → 北石店), a city department 市…局 without 市 (市教育局 → 教育局).
    Computed from name and kind, so units added in admin get them too. A short name of one
    character, or one that is another unit's curated alias, is dropped (开发区 means the
    development zone, not 开发区街道).
    """
    short = name
    if kind == "county" and len(name) > 2:
        short = re.sub(r"[县市区]$", "", name)
    elif kind == "town":
        short = re.sub(r"(街道|镇|乡)$", "", name)
    elif kind == "department" and name.startswith("市") and name.endswith("局"):
        short = name[1:]
    if short == name or len(short) < 2 or short in _curated_all():
        return ()
    return (short,)


@lru_cache(maxsize=1)
def places_by_county() -> dict[str, tuple[str, ...]]:
    """County-level unit name -> the names (and aliases) of the places listed in it."""
    found: dict[str, list[str]] = {}
    for place in listed_places():
        if place.county:
            found.setdefault(place.county, []).extend((place.name, *place.aliases))
    return {county: tuple(names) for county, names in found.items()}
