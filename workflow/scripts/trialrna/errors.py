"""The one exception type for bad input, so rules and tests can tell it from a bug."""

from __future__ import annotations

from collections.abc import Sequence


class InputError(ValueError):
    """Bad user input. The message names the file, the row or column, and what to fix."""


def require_columns(available: Sequence[str], needed: Sequence[str], *, what: str, fix: str) -> None:
    """Raise ``{what} {missing} missing; found {available}. {fix}`` when a needed column is absent."""
    missing = [column for column in needed if column not in available]
    if missing:
        shown = ", ".join(map(str, list(available)[:8])) + (", ..." if len(available) > 8 else "")
        raise InputError(f"{what} {', '.join(missing)} missing; found {shown}. {fix}")
