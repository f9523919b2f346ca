"""What people type finds the right unit: the terms units/search.py gives each unit."""

import pytest

from units.search import derived_names, unit_search_terms
from units.seeding import read_unit_rows

ROWS = [row for row in read_unit_rows() if row["kind"] != "city"]


def _exact_owners(query: str) -> set[str]:
    """Units a query names exactly: by full name, or as one of their search terms."""
    return {
        row["name"]
        for row in ROWS
        if query == row["name"]
        or query in unit_search_terms(code=row["code"], name=row["name"], kind=row["kind"])
    }


@pytest.mark.parametrize(
    ("typed", "unit"),
    [
        ("文旅", "市文化和旅游局"),
        ("发改", "市发展和改革委员会"),
        ("开发区", "晋城经济技术开发区"),
        ("泽州", "泽州县"),
        ("高平", "高平市"),
        ("北石店", "北石店镇"),
        ("巴公", "巴公镇"),
        ("皇城相府", "阳城县"),
        ("住建", "市住房和城乡建设局"),
        ("卫健委", "市卫生健康委员会"),
    ],
)
def test_what_people_type_names_exactly_one_unit_the_right_one(typed, unit):
    assert _exact_owners(typed) == {unit}


def test_no_term_names_two_units():
    owners: dict[str, set[str]] = {}
    for row in ROWS:
        for term in unit_search_terms(code=row["code"], name=row["name"], kind=row["kind"]):
            owners.setdefault(term, set()).add(row["name"])
    shared = {term: names for term, names in owners.items() if len(names) > 1}
    assert shared == {}


def test_every_curated_alias_belongs_to_a_unit_of_the_file():
    with_aliases = [row for row in ROWS if row["aliases"]]
    assert len(with_aliases) >= 30
    for row in with_aliases:
        terms = unit_search_terms(code=row["code"], name=row["name"], kind=row["kind"])
        assert set(row["aliases"].split("|")) <= set(terms)


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("泽州县", "county", ("泽州",)),
        ("城区", "county", ()),  # two characters: nothing shorter that still means it
        ("北石店镇", "town", ("北石店",)),
        ("西上庄街道", "town", ("西上庄",)),
        ("土沃乡", "town", ("土沃",)),
        ("开发区街道", "town", ()),  # 开发区 is the development zone's alias
        ("市教育局", "department", ()),  # any part of the name matches anyway
        ("新设镇", "town", ("新设",)),  # a unit added in admin gets its short name too
    ],
)
def test_short_names_are_derived_from_name_and_kind(name, kind, expected):
    assert derived_names(name, kind) == expected


def test_the_form_options_carry_the_terms(client, units, campaign):
    html = client.get("/submit/").content.decode()

    assert 'data-terms="文旅局 文旅 文化局 旅游局 旅游">市文化和旅游局<' in html
    assert 'data-terms="北石店">城区 · 北石店镇<' in html
