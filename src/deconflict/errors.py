"""The error types of deconflict: each carries what an operator needs to act on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DeconflictError(Exception):
    """Root of every error deconflict raises on purpose.

    `code` is the stable name of what went wrong (its class's unless a raise names a more
    precise one; every code is listed in `deconflict.problem_codes`), and `params` what a
    sentence in any language needs beyond the feature id, field and value.
    """

    code = "error"

    def __init__(
        self,
        message: str,
        *,
        feature_id: str | None = None,
        field: str | None = None,
        value: Any = None,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.feature_id = feature_id
        self.field = field
        self.value = value
        if code is not None:
            self.code = code
        self.params = dict(params or {})

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

    code = "invalid_value"


class InvalidCoordinate(DeconflictError, ValueError):
    """A position typed by a person cannot be read; `reason` names the problem for every
    language (see `deconflict.problem_codes.POSITION_REASONS`), `problem` says it in English."""

    code = "unreadable_position"

    def __init__(self, text: str, problem: str, reason: str, **params: Any) -> None:
        super().__init__(
            f"cannot read position {text!r}: {problem}",
            field="position",
            value=text,
            params={"reason": reason, **params},
        )
        self.text = text
        self.problem = problem

    def __reduce__(self) -> tuple[Any, ...]:
        # Default pickling replays the message into __init__, which takes other arguments.
        params = {name: value for name, value in self.params.items() if name != "reason"}
        return (_coordinate, (self.text, self.problem, self.params["reason"], params))


class InvalidPlan(DeconflictError):
    """A plan holds one or more invalid features; `problems` lists every one of them."""

    code = "invalid_plan"

    def __init__(self, problems: Sequence[InvalidFeature]) -> None:
        count = len(problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the plan", params={"count": count}
        )
        self.problems = list(problems)


class RequestTooLarge(DeconflictError):
    """A request over one of the line's limits as a whole (too many features or vertices in
    all): `setting` names the limit an operator sets, `limit` its value, `value` the count."""

    code = "too_large"

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
        super().__init__(
            message,
            feature_id=feature_id,
            field=field,
            value=value,
            params={"setting": setting, "limit": limit},
        )
        self.setting = setting
        self.limit = limit


class NotFound(DeconflictError):
    """The thing asked for does not exist, or is not visible to the asker."""

    code = "not_found"


class Forbidden(DeconflictError):
    """The asker is known but may not do this."""

    code = "forbidden"


class StateConflict(DeconflictError):
    """The request contradicts the stored state (a duplicate id, a closed notice)."""

    code = "state_conflict"


class RateLimited(DeconflictError):
    """The asker has spent its budget of something the line bounds; `retry_after_s` says when
    the next one is allowed."""

    code = "rate_limited"

    def __init__(
        self, message: str, retry_after_s: int, *, field: str | None = None, **params: Any
    ) -> None:
        super().__init__(
            message,
            field=field,
            value=retry_after_s,
            params={"retry_after_s": retry_after_s, **params},
        )
        self.retry_after_s = retry_after_s


class EngineFailure(DeconflictError):
    """The conflict engine could not decide a pair of features: nothing was decided or stored.

    The message (shown to whoever asked) names only `feature_id`; `other_id` and
    the cause are for the operator's log and for a local plan check, where both
    features are the asker's own.
    """

    code = "engine_failure"

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


def _coordinate(text: str, problem: str, reason: str, params: dict[str, Any]) -> InvalidCoordinate:
    return InvalidCoordinate(text, problem, reason, **params)
