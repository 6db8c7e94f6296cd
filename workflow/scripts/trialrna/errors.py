"""The one exception type for bad input, so rules and tests can tell it from a bug."""


class InputError(ValueError):
    """Bad user input. The message names the file, the row or column, and what to fix."""
