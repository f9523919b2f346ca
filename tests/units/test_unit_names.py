"""units.names: the one place the unit search and the near-duplicate gazetteer take names from."""

import pytest

from suggestions.duplicates.gazetteer import _AMBIGUOUS_SHORT, default_gazetteer
from units.names import places_by_county, short_names, unit_rows
from units.search import derived_names


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("泽州县", "county", ("泽州",)),
        ("高平市", "county", ("高平",)),
        ("城区", "county", ()),  # nothing shorter that still means it
        ("甲县", "county", ()),  # one character is no name
        ("巴公镇", "town", ("巴公",)),
        ("开发区街道", "town", ()),  # 开发区 is the development zone's curated alias
        ("市教育局", "department", ("教育局",)),
        ("市发展和改革委员会", "department", ()),
        ("晋城经济技术开发区", "zone", ()),
    ],
)
def test_short_names_by_kind(name, kind, expected):
    assert short_names(name, kind) == expected


def test_the_search_and_the_gazetteer_know_the_same_short_names():
    gazetteer = default_gazetteer()
    checked = 0
    for unit in unit_rows():
        # Ambiguous town names (南村, 东街 …) are matched in ideas only in full.
        for short in set(derived_names(unit.name, unit.kind)) - _AMBIGUOUS_SHORT:
            assert (unit.kind, unit.name) in gazetteer.terms(short)
            checked += 1
    assert checked > 50


def test_the_zones_aliases_are_its_curated_ones_in_both():
    zone = next(unit for unit in unit_rows() if unit.kind == "zone")
    assert zone.aliases == ("开发区", "经开区", "经济技术开发区")
    for alias in zone.aliases:
        assert ("county", zone.name) in default_gazetteer().terms(alias)


def test_places_are_grouped_by_their_county():
    assert "皇城相府" in places_by_county()["阳城县"]
    assert "王莽岭" in places_by_county()["陵川县"]
