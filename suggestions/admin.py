"""Admin hub: each capability registers its own pages; importing them here is all
Django's admin autodiscovery needs."""

from suggestions.duplicates import admin as duplicates_admin  # noqa: F401
from suggestions.implementation import admin as implementation_admin  # noqa: F401
from suggestions.intake import admin as intake_admin  # noqa: F401
from suggestions.privacy import admin as privacy_admin  # noqa: F401
from suggestions.screening import admin as screening_admin  # noqa: F401
from suggestions.screening import records_admin as screening_records_admin  # noqa: F401
from suggestions.tallies import admin as tallies_admin  # noqa: F401
