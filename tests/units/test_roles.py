from units.roles import (
    Role,
    can_screen_unit,
    is_city_admin,
    is_city_reviewer,
    roles_of,
    screened_units,
    sees_all_units,
    visible_units,
)


def test_a_screener_of_chengqu_screens_chengqu_and_its_towns_only(personas, units):
    screener = personas["screener_chengqu"]

    assert can_screen_unit(screener, units["城区"])
    assert can_screen_unit(screener, units["北石店镇"])
    assert not can_screen_unit(screener, units["泽州县"])
    assert not can_screen_unit(screener, units["晋城市"])
    assert set(screened_units(screener).values_list("name", flat=True)) == {
        "城区",
        "东街街道",
        "西街街道",
        "南街街道",
        "北街街道",
        "钟家庄街道",
        "西上庄街道",
        "开发区街道",
        "北石店镇",
    }
    assert not sees_all_units(screener)


def test_a_screener_has_stage_one_permission_but_not_stage_two(personas):
    screener = personas["screener_chengqu"]

    assert screener.has_perm("suggestions.screen_stage1")
    assert not screener.has_perm("suggestions.screen_stage2")
    assert roles_of(screener) == {Role.SCREENER}


def test_a_leader_can_read_but_change_nothing(personas):
    leader = personas["leader"]

    assert leader.has_perm("suggestions.view_suggestion")
    assert leader.has_perm("suggestions.view_dashboard")
    change_perms = [p for p in leader.get_all_permissions() if ".change_" in p or ".add_" in p]
    assert change_perms == []
    assert not leader.has_perm("suggestions.delete_suggestion")
    assert not leader.has_perm("suggestions.view_contact")
    assert not leader.has_perm("suggestions.screen_stage1")
    assert visible_units(leader).count() == 153


def test_a_city_reviewer_works_on_all_units_in_stage_two(personas, units):
    reviewer = personas["reviewer"]

    assert is_city_reviewer(reviewer)
    assert reviewer.has_perm("suggestions.screen_stage2")
    assert not reviewer.has_perm("suggestions.screen_stage1")
    assert not can_screen_unit(reviewer, units["城区"])
    assert visible_units(reviewer).count() == 153


def test_an_administrator_holds_every_portal_permission(personas):
    admin = personas["admin"]

    assert is_city_admin(admin)
    assert admin.has_perm("suggestions.reopen_report")
    assert admin.has_perm("units.change_unit")
    assert admin.has_perm("auth.change_user")


def test_a_deactivated_screener_loses_every_role(personas, units):
    screener = personas["screener_chengqu"]
    screener.is_active = False
    screener.save()

    assert roles_of(screener) == frozenset()
    assert not can_screen_unit(screener, units["城区"])
