"""The store's own error, apart from the package so both backends can raise it."""

from __future__ import annotations

from deconflict.errors import DeconflictError


class StoreUnavailable(DeconflictError):
    """The store cannot be opened: the database is unreachable, or its schema is too new."""
