"""The stable names of what can go wrong, as every problem+json answer carries them (`code`).

A client says a problem in its reader's language from `code` and `params`; the
English `detail` beside them is for clients that do not know the code. A code
is never renamed or given another meaning: a new kind of problem gets a new code.
"""

from __future__ import annotations

__all__ = ["CODES", "POSITION_REASONS"]

CODES: dict[str, str] = {
    # Each error type's own, when a raise names none more precise.
    "error": "a deliberate error of no more precise kind",
    "invalid_value": "a field of a feature, notice or registration cannot be accepted",
    "unreadable_position": "a typed position cannot be read; `reason` says why",
    "unreadable_time": "a typed time (DTG or ISO 8601) cannot be read",
    "invalid_plan": "several features or fields are refused at once (`count`); see `errors`",
    "too_large": "a request over one of the line's limits as a whole (`setting`, `limit`)",
    "not_found": "no such thing, or none the asker may see",
    "forbidden": "the asker may not do this",
    "state_conflict": "the request contradicts the stored state",
    "rate_limited": "a budget is spent (`count` dry runs in `window_h` hours); `retry_after_s`",
    "engine_failure": "the conflict engine could not decide; nothing was stored",
    "record_refused": "the record cannot serve this request",
    "invalid_proof": "a proof does not prove what it claims",
    "invalid_signature": "a signature does not verify, or its key cannot be read",
    "invalid_checkpoint": "a checkpoint's text cannot be read",
    "no_canonical_form": "a value has no canonical JSON form",
    # More precise codes for the problems a person commonly meets.
    "end_not_after_start": "a window's end is not after its start",
    "until_not_after_start": "a repeat's `until` is not after the first start",
    "lower_above_upper": "an altitude band's lower level is above its upper level",
    "too_many_vertices": "a geometry has more vertices than the line allows (`limit`)",
    "activity_over": "the activity ended before now; nobody could act on its notice",
    "id_in_use": "a feature with this id exists; amend it instead",
    "not_own_feature": "a party declares, amends and cancels only its own features",
    "already_cancelled": "the feature is cancelled already",
    "cancelled_not_amendable": "a cancelled feature cannot be amended",
    "reason_needed": "an objection needs a reason",
    "text_needed": "a reply needs text",
    "not_recipient": "only a notice's recipient responds to it",
    "no_response_taken": "a notice for information takes no response",
    "idempotency_key_reused": "an Idempotency-Key was used for another request",
    "role_needed": "the token's role may not do this (`role` needed, `yours`)",
    "csrf_missing": "a write from the console lacks its session's `header`",
    "http_signature_malformed": "RFC 9421 signature headers that cannot be read (`field`)",
    "http_signature_component_missing": "an RFC 9421 signature leaves out a `component` it needs",
    "http_signature_wrong_key": "an RFC 9421 signature's `keyid` is not the party's key",
    "http_signature_stale": "an RFC 9421 signature made over `skew_s` s before now",
    "http_signature_future": "an RFC 9421 signature made over `skew_s` s after now",
    "content_digest_mismatch": "a signed Content-Digest (RFC 9530) is not the digest of the body",
    "missing_ovns": "a DSS write's key lacks the OVN of an entity it meets (`count`)",
    "uss_down": "the USS is marked Down at the DSS, so it may not make this change",
    # The framework's refusals, by status.
    "bad_request": "the request cannot be read",
    "not_signed_in": "no token or console session, or one unknown or revoked",
    "method_not_allowed": "the path does not take this method",
    "request_timeout": "the request did not arrive in time (`field`, `timeout_s`)",
    "unsupported_media_type": "the body is not of a type the path takes",
    "invalid_request": "a field breaks the request's schema; `type` is pydantic's name for how",
    "invalid_json": "the body is not JSON the line reads",
    "body_too_large": "the body is over the line's limit of `limit_bytes` bytes",
    "internal_error": "the server failed; quote the request id to its operator",
}
"""Every code a problem may carry, with what it means and the params it names."""

POSITION_REASONS: dict[str, str] = {
    "empty": "no position given",
    "mgrs_zone": "the MGRS zone (`zone`) is not 1 to 60",
    "mgrs_blocks": "MGRS digits are more than two blocks",
    "mgrs_uneven": "MGRS easting and northing have different numbers of digits",
    "mgrs_too_precise": "MGRS has more than 5 digits each for easting and northing",
    "mgrs_invalid": "no such MGRS grid square",
    "mgrs_band": "the MGRS latitude band letter does not match the grid square",
    "mgrs_trailing": "an MGRS grid square is followed by `character`, not digits",
    "separators": "more than one separator",
    "one_value_each_side": "not exactly one value on each side of the separator",
    "unexpected_character": "an unexpected `character`",
    "ambiguous_split": "cannot tell where latitude ends and longitude begins",
    "sign_placement": "a sign stands elsewhere than before the degrees",
    "hemisphere_alone": "a hemisphere `letter` has no number",
    "hemisphere_twice": "two hemisphere letters in a row",
    "unit_order": "`unit` given without `missing`",
    "value_count": "not two values but `count`",
    "same_axis": "both values are on one `axis`",
    "sign_and_hemisphere": "a value has both a minus sign and a hemisphere letter",
    "out_of_range": "the `axis` is beyond ±`limit` degrees",
    "compact_digits": "a compact `axis` has the wrong number of `digits`",
    "fraction_before": "`unit` has a fraction while smaller units follow",
    "sixty": "`unit` is 60 or more",
}
"""What `params.reason` of an `unreadable_position` problem may be."""
