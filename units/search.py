"""What people type when they look for a unit, kept with the units' own data.

The unit picker on the submission form filters its options by these terms
(static/js/intake.js); the <select> itself works without them. Three sources, all read by
units.names (which the near-duplicate gazetteer shares):

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

from units.names import curated_aliases, places_by_county, short_names

# Kinds whose short names are search terms: as exact matches they rank the county above
# the towns whose labels hold its name (泽州县 · 巴公镇). A department's short name (教育局)
# is in no other unit's name, so the name alone already finds the department.
_SHORT_NAME_KINDS = frozenset(("county", "town"))


def derived_names(name: str, kind: str) -> tuple[str, ...]:
    """Short names people use for a unit, derived from its name and kind."""
    return short_names(name, kind) if kind in _SHORT_NAME_KINDS else ()


def unit_search_terms(*, code: str, name: str, kind: str) -> tuple[str, ...]:
    """Every term that should find this unit, best first: curated, derived, places."""
    terms = [*curated_aliases().get(code, ()), *derived_names(name, kind)]
    if kind in ("county", "zone"):
        terms.extend(places_by_county().get(name, ()))
    return tuple(dict.fromkeys(term for term in terms if term != name))
