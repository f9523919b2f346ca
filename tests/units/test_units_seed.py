from django.core.management import call_command

from units.models import Unit, UnitKind
from units.seeding import units_seed


def test_seed_loads_the_153_units_of_jincheng(db):
    result = units_seed()

    assert result.created == 153
    assert Unit.objects.count() == 153
    assert Unit.objects.filter(kind=UnitKind.CITY).get().name == "晋城市"
    assert Unit.objects.filter(kind=UnitKind.COUNTY).count() == 6
    assert Unit.objects.filter(kind=UnitKind.TOWN).count() == 77
    assert Unit.objects.filter(kind=UnitKind.ZONE).count() == 1
    assert Unit.objects.filter(kind=UnitKind.DEPARTMENT).count() == 68
    assert Unit.objects.reporting().count() == 75


def test_every_town_hangs_under_its_county_and_the_rest_under_the_city(db):
    units_seed()
    city = Unit.objects.get(code="1405")

    for town in Unit.objects.filter(kind=UnitKind.TOWN).select_related("parent"):
        assert town.parent.kind == UnitKind.COUNTY
        assert town.code.startswith(town.parent.code)
    for unit in Unit.objects.filter(kind__in=[UnitKind.COUNTY, UnitKind.ZONE, UnitKind.DEPARTMENT]):
        assert unit.parent_id == city.pk
    assert Unit.objects.get(name="北石店镇").parent.name == "城区"
    assert Unit.objects.within(Unit.objects.get(name="城区")).count() == 1 + 8


def test_second_seed_changes_nothing(db):
    units_seed()
    before = list(
        Unit.objects.values_list("code", "name", "kind", "parent_id", "path", "sort_order")
    )

    result = units_seed()

    assert (result.created, result.updated, result.unchanged) == (0, 0, 153)
    after = list(
        Unit.objects.values_list("code", "name", "kind", "parent_id", "path", "sort_order")
    )
    assert after == before


def test_names_edited_in_admin_survive_unless_forced(db):
    units_seed()
    Unit.objects.filter(code="140502").update(name="晋城市城区")

    call_command("seed_units")
    assert Unit.objects.get(code="140502").name == "晋城市城区"

    call_command("seed_units", "--force")
    assert Unit.objects.get(code="140502").name == "城区"


def test_moving_a_unit_moves_its_subtree(db):
    units_seed()
    chengqu = Unit.objects.get(name="城区")
    zezhou = Unit.objects.get(name="泽州县")

    chengqu.parent = zezhou
    chengqu.save()

    town = Unit.objects.get(name="北石店镇")
    assert town.path == "1405/140525/140502/140502100/"
    assert Unit.objects.within(zezhou).filter(pk=town.pk).exists()


def test_demo_supervision_groups_cover_97_units(settings, db):
    from suggestions.demo.accounts import demo_seed
    from units.models import SupervisionGroup

    settings.DEBUG = True
    units_seed()
    demo_seed()
    demo_seed()

    assert SupervisionGroup.objects.count() == 12
    covered = Unit.objects.filter(supervision_groups__isnull=False).distinct()
    assert covered.count() == 97
    assert covered.reporting().count() == 75
