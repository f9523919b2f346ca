"""Cell text that a spreadsheet program will not run as a formula (every export and report).

Shared here so the reports (tallies) need not import the screening capability, which
depends on the implementation capability, which reads the tallies: no import cycle.
"""

from typing import TypeVar

# What a spreadsheet may run as a formula (OWASP CSV injection), prefixed with ' on export.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")

_T = TypeVar("_T")


def cell_safe(value: _T) -> _T | str:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
