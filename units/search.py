"""What people type when they look for a unit, kept with the units' own data.

The unit picker on the submission form filters its options by these terms
(static/js/intake.js); the <select> itself works without them. Three sources, all in
units/data/ (the near-duplicate gazetteer reads the same files):

* the ``aliases`` column of jincheng-units.csv: abbreviations that are not part of the
  name (文旅 → 市文化和旅游局, 发改 → 市发展和改革委员会, 开发区 → 晋城经济技术开发区);
* short names derived from the name, so units added in admin get them too: a county
  without 县/市 (泽州 → 泽州县), a town without 镇/乡/街道 (北石店 → 北石店镇). Any part
  of a unit's name matches anyway (教育 finds 市教育局); a short name counts as an exact
  match, so 泽州 picks the county rather than one of its towns;
* the places of places.csv that lie in one county (皇城相府 → 阳城县).

A derived short name that is also another unit's curated alias is dropped (开发区 means the
development zone, not 开发区街道). No Django and nothing from suggestions here.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


@lru_cache(maxsize=1)
def _curated() -> dict[str, tuple[str, ...]]:
    """Unit code -> the aliases listed for it in jincheng-units.csv."""
    return {
        row["code"]: tuple(filter(None, (row.get("aliases") or "").split("|")))
        for row in _csv_rows(DATA_DIR / "jincheng-units.csv")
    }


@lru_cache(maxsize=1)
def _curated_all() -> frozenset[str]:
    return frozenset(alias for aliases in _curated().values() for alias in aliases)


@lru_cache(maxsize=1)
def _places_by_county() -> dict[str, tuple[str, ...]]:
    """County-level unit name -> the names (and aliases) of places listed in it."""
    found: dict[str, list[str]] = {}
    for row in _csv_rows(DATA_DIR / "places.csv"):
        if row["county"]:
            names = [row["name"], *filter(None, row["aliases"].split("|"))]
            found.setdefault(row["county"], []).extend(names)
    return {county: tuple(names) for county, names in found.items()}


def derived_names(name: str, kind: str) -> tuple[str, ...]:
    """Short names people use for a unit, derived from its name and kind."""
    short = name
    if kind == "county" and len(name) > 2:
        short = re.sub(r"[县市区]$", "", name)
    elif kind == "town":
        short = re.sub(r"(街道|镇|乡)$", "", name)
    if short == name or len(short) < 2 or short in _curated_all():
        return ()
    return (short,)


def unit_search_terms(*, code: str, name: str, kind: str) -> tuple[str, ...]:
    """Every term that should find this unit, best first: curated, derived, places."""
    terms = [*_curated().get(code, ()), *derived_names(name, kind)]
    if kind in ("county", "zone"):
        terms.extend(_places_by_county().get(name, ()))
    return tuple(dict.fromkeys(term for term in terms if term != name))
