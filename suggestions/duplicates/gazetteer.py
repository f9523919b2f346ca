"""Places and key terms that decide whether two similar ideas are the same idea.

Two ideas can share almost all their words and still ask for different things: the same
proposal for 高平市 and for 阳城县, 计划停电 and 计划停水, 延长 and 缩短 the opening hours.
Text similarity cannot see this, so the near-duplicate rule (suggestions.duplicates.algorithm)
asks this module first: ideas whose *terms* conflict are never grouped.

Terms are (kind, name) pairs found in an idea's normalised text:

* places from the gazetteer, by kind: the county-level units (城区, 泽州县/泽州, 高平市/高平 …,
  the development zone) and towns/streets (巴公镇/巴公 …) of units/data/jincheng-units.csv,
  the city departments there (市教育局/教育局 …), and the scenic spots, rivers, hospitals,
  stations, service halls, streets and parks of units/data/places.csv (皇城相府, 王莽岭,
  白马寺山, 珏山 …). A town or a spot also implies its county (巴公镇 names 泽州县 too);
* the terms of the curated contrast sets (CONTRASTS): words of one set exclude each other
  in a proposal (停电/停水/停气, 增设/取消, 延长/缩短, 增加/减少, 开放/关闭, 提高/降低 …).

The rule (``conflict``): for each kind, if both ideas name terms of that kind and neither
idea's set is contained in the other's, the ideas conflict. So 王莽岭 vs 珏山 conflict; an
idea naming 泽州县 and 巴公镇 does not conflict with one naming only 巴公镇 (a sentence
dropped), nor with one naming no place at all (a place left out is not a different place).

Names are matched longest first at each position (高平市政务服务中心 before 高平市), so a
place inside a longer name is not counted twice. Two-character aliases that are also
ordinary words are left out (南村, 河西, 三甲 …), and 高平 is not matched inside 提高平均.

The units, their short names (units.names.short_names) and the listed places are read
through units.names, which the citizens' unit search shares; which of those names are
matched in an idea's text (not the ambiguous ones, not the departments' search aliases) is
decided here.

No Django here (an import-linter contract keeps it so, and units.names is plain Python too):
the labelled sets run it directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from units.names import ListedPlace, UnitRow, listed_places, short_names, unit_rows

# Sets of words that exclude each other in a proposal: one idea asking for one of them and
# another idea asking for another are different ideas. Curated from the campaign's kinds of
# asks (utilities, more/less, open/close, longer/shorter …); a word may be in several sets.
CONTRASTS: tuple[tuple[str, ...], ...] = (
    ("停电", "停水", "停气", "停暖"),
    ("供电", "供水", "供气", "供暖"),
    ("电费", "水费", "燃气费", "暖气费", "物业费"),
    ("增设", "取消", "撤销", "撤除"),
    ("增开", "减少", "停开", "取消"),
    ("开通", "停运", "取消"),
    ("新建", "拆除"),
    ("延长", "缩短"),
    ("增加", "减少"),
    ("扩大", "缩小"),
    ("开放", "关闭"),
    ("提高", "降低"),
    ("上调", "下调"),
    ("涨价", "降价"),
    ("放宽", "收紧"),
    ("允许", "禁止"),
    ("免费", "收费"),
    ("提前", "推迟"),
    ("白天", "夜间"),
    ("冬季", "夏季"),
    ("幼儿园", "小学", "初中", "高中"),
    ("公办", "民办"),
    ("单号", "双号"),
    ("机动车", "非机动车"),
    ("城镇", "农村"),
    ("男厕", "女厕"),
    # The county's farm products and specialities: a proposal about one is not about another.
    (
        "黄梨",
        "小米",
        "党参",
        "山药",
        "核桃",
        "花椒",
        "连翘",
        "蚕桑",
        "山楂",
        "红薯",
        "香菇",
        "蜂蜜",
    ),
)

# Two-character town names (the name without 镇/乡/街道) that are also ordinary words or
# other places' names: only the full name is matched for these.
_AMBIGUOUS_SHORT = frozenset((
    "中村", "下村", "南村", "河北", "河西", "东城", "南城", "北城",
    "三甲", "神农", "马村", "十里", "张村", "平城", "附城", "潞城",
    "郑村", "山河", "西河", "礼义", "南岭", "东街", "西街", "南街",
    "北街", "崇文", "凤台", "开发区",
))  # fmt: skip
# An alias is not matched where one of these contexts surrounds it.
_STOP_CONTEXTS: dict[str, tuple[str, ...]] = {
    "高平": ("提高平", "拉高平", "抬高平", "升高平", "高平均", "高平台", "高平衡", "高平稳"),
    "阳城": ("太阳城",),
    # 城区 after a county's name or 的 is that county's built-up area, not the district.
    "城区": (
        "老城区",
        "新城区",
        "主城区",
        "中心城区",
        "城区内",
        "县城区",
        "市城区",
        "的城区",
        "高平城区",
        "阳城城区",
        "泽州城区",
        "陵川城区",
        "沁水城区",
    ),
}


@dataclass(frozen=True)
class Place:
    name: str
    kind: str
    county: str = ""
    aliases: tuple[str, ...] = ()


class Gazetteer:
    """Finds the terms (places and contrast words) an idea names; see the module docstring."""

    def __init__(self, places: Iterable[Place], contrasts: Iterable[tuple[str, ...]] = CONTRASTS):
        # surface form -> the terms it stands for
        self._terms: dict[str, set[tuple[str, str]]] = {}
        for place in places:
            implied = {(place.kind, place.name)}
            if place.county and place.kind != "county":
                implied.add(("county", place.county))
            for surface in (place.name, *place.aliases):
                if surface:
                    self._terms.setdefault(surface, set()).update(implied)
        for number, words in enumerate(contrasts):
            for word in words:
                self._terms.setdefault(word, set()).add((f"contrast{number}", word))
        # First character -> surfaces starting with it, longest first.
        self._by_first: dict[str, list[str]] = {}
        for surface in sorted(self._terms, key=lambda s: (-len(s), s)):
            self._by_first.setdefault(surface[0], []).append(surface)
        self._stops = {
            surface: [(ctx, ctx.index(surface)) for ctx in contexts]
            for surface, contexts in _STOP_CONTEXTS.items()
        }

    def terms(self, normalised: str) -> frozenset[tuple[str, str]]:
        """The (kind, name) terms a normalised text names (longest match at each position)."""
        found: set[tuple[str, str]] = set()
        by_first = self._by_first
        position, end = 0, len(normalised)
        while position < end:
            surfaces = by_first.get(normalised[position])
            if surfaces:
                for surface in surfaces:
                    if normalised.startswith(surface, position) and not self._stopped(
                        normalised, position, surface
                    ):
                        found.update(self._terms[surface])
                        position += len(surface)
                        break
                else:
                    position += 1
            else:
                position += 1
        return frozenset(found)

    def _stopped(self, text: str, start: int, surface: str) -> bool:
        for context, offset in self._stops.get(surface, ()):
            at = start - offset
            if at >= 0 and text.startswith(context, at):
                return True
        return False


def conflict(a: frozenset[tuple[str, str]], b: frozenset[tuple[str, str]]) -> str | None:
    """Why two ideas' terms make them different ideas (None when they do not).

    For each kind both name: conflict unless one idea's terms of that kind are a subset of
    the other's. Returns e.g. "county: 高平市 / 阳城县".
    """
    if not a or not b:
        return None
    kinds_a: dict[str, set[str]] = {}
    for kind, name in a:
        kinds_a.setdefault(kind, set()).add(name)
    kinds_b: dict[str, set[str]] = {}
    for kind, name in b:
        if kind in kinds_a:
            kinds_b.setdefault(kind, set()).add(name)
    for kind in sorted(kinds_b):
        mine, theirs = kinds_a[kind], kinds_b[kind]
        if not (mine <= theirs or theirs <= mine):
            return (
                f"{kind}: {'、'.join(sorted(mine - theirs))} / {'、'.join(sorted(theirs - mine))}"
            )
    return None


def _unit_places(units: Iterable[UnitRow]) -> list[Place]:
    """Counties, the development zone, towns and departments from the units file."""
    units = list(units)
    county_of = {unit.code: unit.name for unit in units if unit.kind in ("county", "zone")}
    places = []
    for unit in units:
        short = short_names(unit.name, unit.kind)
        if unit.kind in ("county", "zone"):
            # The development zone is a county-level area in every idea's sense. A county-level
            # unit's curated aliases are place names (开发区, 经开区); a department's are search
            # abbreviations and ordinary words (医院, 旅游), so those are not matched.
            places.append(Place(unit.name, "county", aliases=(*short, *unit.aliases)))
        elif unit.kind == "town":
            aliases = tuple(alias for alias in short if alias not in _AMBIGUOUS_SHORT)
            places.append(Place(unit.name, "town", county_of.get(unit.parent_code, ""), aliases))
        elif unit.kind == "department":
            places.append(Place(unit.name, "department", aliases=short))
    return places


def _listed_places(listed: Iterable[ListedPlace]) -> list[Place]:
    return [Place(place.name, place.kind, place.county, place.aliases) for place in listed]


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The city's gazetteer: units/data/jincheng-units.csv plus units/data/places.csv."""
    return Gazetteer(_unit_places(unit_rows()) + _listed_places(listed_places()))
