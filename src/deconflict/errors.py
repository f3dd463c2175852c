"""The error types of deconflict: each carries what an operator needs to act on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DeconflictError(Exception):
    """Root of every error deconflict raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        feature_id: str | None = None,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.feature_id = feature_id
        self.field = field
        self.value = value

    def __str__(self) -> str:
        where = []
        if self.feature_id is not None:
            where.append(f"feature {self.feature_id!r}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class InvalidFeature(DeconflictError):
    """A feature (zone or activity) or one of its fields cannot be accepted."""


class InvalidCoordinate(DeconflictError, ValueError):
    """A position typed by a person cannot be read."""

    def __init__(self, text: str, problem: str) -> None:
        super().__init__(f"cannot read position {text!r}: {problem}", field="position", value=text)
        self.text = text
        self.problem = problem

    def __reduce__(self) -> tuple[type[InvalidCoordinate], tuple[str, str]]:
        # Default pickling replays the message into __init__, which takes two arguments.
        return (type(self), (self.text, self.problem))


class InvalidPlan(DeconflictError):
    """A plan holds one or more invalid features; `problems` lists every one of them."""

    def __init__(self, problems: Sequence[InvalidFeature]) -> None:
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the plan")
        self.problems = list(problems)


class RequestTooLarge(DeconflictError):
    """A request over one of the line's limits as a whole (too many features or vertices in
    all): `setting` names the limit an operator sets, `limit` its value, `value` the count."""

    def __init__(
        self,
        message: str,
        *,
        setting: str,
        limit: int,
        field: str,
        value: int,
        feature_id: str | None = None,
    ) -> None:
        super().__init__(message, feature_id=feature_id, field=field, value=value)
        self.setting = setting
        self.limit = limit


class NotFound(DeconflictError):
    """The thing asked for does not exist, or is not visible to the asker."""


class Forbidden(DeconflictError):
    """The asker is known but may not do this."""


class StateConflict(DeconflictError):
    """The request contradicts the stored state (a duplicate id, a closed notice)."""


class RateLimited(DeconflictError):
    """The asker has spent its budget of something the line bounds; `retry_after_s` says when
    the next one is allowed."""

    def __init__(self, message: str, retry_after_s: int, *, field: str | None = None) -> None:
        super().__init__(message, field=field, value=retry_after_s)
        self.retry_after_s = retry_after_s


class EngineFailure(DeconflictError):
    """The conflict engine could not decide a pair of features: nothing was decided or stored.

    The message (shown to whoever asked) names only `feature_id`; `other_id` and
    the cause are for the operator's log and for a local plan check, where both
    features are the asker's own.
    """

    def __init__(self, feature_id: str, other_id: str, cause: BaseException) -> None:
        super().__init__(
            f"the conflict engine could not decide this feature against another "
            f"({type(cause).__name__}); nothing was stored or notified; "
            "tell the line's operator",
            feature_id=feature_id,
            field="geometry",
        )
        self.other_id = other_id
        self.cause = cause

    def __str__(self) -> str:
        return (
            f"features {self.feature_id!r} and {self.other_id!r}: the conflict engine failed "
            f"({type(self.cause).__name__}: {self.cause}); nothing was decided"
        )

    def __reduce__(self) -> tuple[type[EngineFailure], tuple[str, str, BaseException]]:
        return (type(self), (str(self.feature_id), self.other_id, self.cause))
