"""What a DSS request can be refused for, each with the status the standard gives it.

Every refusal is a `DeconflictError`, so its `code` is one of `problem_codes.CODES`;
the DSS routes answer it as problem+json carrying the standard's `message` too.
"""

from __future__ import annotations

from typing import Any, ClassVar

from deconflict.errors import DeconflictError


class Refused(DeconflictError):
    """A DSS request refused; `status` is the HTTP status the standard names for it."""

    status: ClassVar[int] = 400
    code = "invalid_value"

    def extra(self) -> dict[str, Any]:
        """Members the standard's answer carries beyond `message`."""
        return {}


class BadRequest(Refused):
    """The request is malformed or asks for what the standard does not allow (400)."""


class NotAuthenticated(Refused):
    """No bearer token, or one that does not verify (401)."""

    status = 401
    code = "not_signed_in"


class NotPermitted(Refused):
    """The token lacks the scope, or the USS does not manage the entity (403)."""

    status = 403
    code = "forbidden"


class Missing(Refused):
    """No such entity (404)."""

    status = 404
    code = "not_found"


class VersionMismatch(Refused):
    """The OVN or version named is not the current one, or the entity exists already (409)."""

    status = 409
    code = "state_conflict"


class MissingOvns(Refused):
    """The key lacks the OVN of an entity the write meets (409), listed as the standard says."""

    status = 409
    code = "missing_ovns"

    def __init__(
        self, operational_intents: list[dict[str, Any]], constraints: list[dict[str, Any]]
    ) -> None:
        super().__init__(
            "current OVNs not provided for one or more operational intents or constraints",
            params={"count": len(operational_intents) + len(constraints)},
        )
        self.operational_intents = operational_intents
        self.constraints = constraints

    def extra(self) -> dict[str, Any]:
        return {
            "missing_operational_intents": self.operational_intents,
            "missing_constraints": self.constraints,
        }


class UssDown(Refused):
    """The USS is marked Down, so it may not make this change (412)."""

    status = 412
    code = "uss_down"
