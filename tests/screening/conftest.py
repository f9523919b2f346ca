import pytest

from tests.factories import SuggestionFactory


@pytest.fixture
def idea_factory(campaign, units):
    """Ideas of a given unit (by name) in a given state, written straight to the database."""

    def make(unit="北石店镇", status="collected", **kwargs):
        return SuggestionFactory(campaign=campaign, unit=units[unit], status=status, **kwargs)

    return make
