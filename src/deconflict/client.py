"""A typed Python client for the deconflict HTTP API (/v1), over httpx.

Every method returns the API's JSON answer as is. Every write carries an
`Idempotency-Key`, and a request whose answer is lost on the way (the
connection fails) is sent once more with the same key, so a retry never
creates a second notice. A refusal (RFC 9457 problem+json) raises
`ApiError` carrying the problem's feature id, field and value; a server that
cannot be reached raises `ServerUnreachable` naming its URL.

    with Client("http://127.0.0.1:8000", token) as line:
        answer = line.notify(feature)
        for event in line.events(timeout_s=10):
            ...
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import HTTPMessageSigner, algorithms

from deconflict.errors import DeconflictError
from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.bundle import write_bundle
from deconflict.record.cosignature import Witnessed, WitnessPolicy
from deconflict.record.errors import NotWitnessed, RecordError
from deconflict.record.evidence import evidence_from, verify_evidence
from deconflict.record.http_signature import READ_COMPONENTS, WRITE_COMPONENTS
from deconflict.record.keys import public_key_b64
from deconflict.record.merkle import verify_consistency
from deconflict.record.note import NoteVerifier, open_checkpoint
from deconflict.record.receipt import verify_receipt
from deconflict.record.sealed import Opening
from deconflict.record.signature import sign_sealed

__all__ = ["ApiError", "Client", "ServerUnreachable", "StreamEvent"]

Json = dict[str, Any]

# Longest silent wait on a bounded event stream before it reconnects (with
# Last-Event-ID), so `events(timeout_s=...)` overruns its bound by at most this.
_STREAM_SLICE_S = 1.0
_DEFAULT_RETRY_S = 2.0
# A request is sent at most this often; a write answered 5xx is tried again after a pause
# growing by this much each time.
_ATTEMPTS = 3
_RETRY_PAUSE_S = 0.25
# How often a client waiting for its witnesses' cosignatures asks for the checkpoint again.
_WITNESS_POLL_S = 0.2

T = TypeVar("T")


class ApiError(DeconflictError):
    """The server refused a request: `status` is the HTTP status, `problem` its problem+json body.

    `feature_id`, `field` and `value` come from the problem; `errors` lists every
    problem of an invalid plan (empty when the server gave one problem only).
    """

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        detail = problem.get("detail") or problem.get("title") or f"HTTP {status}"
        super().__init__(
            str(detail),
            feature_id=_text_or_none(problem.get("feature_id")),
            field=_text_or_none(problem.get("field")),
            value=problem.get("value"),
        )
        self.status = status
        self.problem = dict(problem)

    @property
    def errors(self) -> list[Json]:
        """Every problem the server listed (feature_id, field, value, detail); may be empty."""
        found = self.problem.get("errors")
        return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


class ServerUnreachable(DeconflictError):
    """No answer from the server at `url` (refused, timed out, not a deconflict server)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"cannot reach the deconflict server at {url}: {reason}", field="server", value=url
        )
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class StreamEvent:
    """One server-sent event: its id (what a stream resumes after), kind and JSON data."""

    id: int
    kind: str
    data: Json


Signing = Literal["commitment", "rfc9421", "both"]
"""How a client with a signing key signs its writes (docs/reference.md, Signed requests)."""


class Client:
    """The deconflict API at `server` (e.g. http://127.0.0.1:8000), speaking with `token`.

    `timeout_s` bounds connecting and each request's wait for an answer.
    Use it as a context manager, or call `close()`.
    """

    def __init__(
        self,
        server: str,
        token: str,
        timeout_s: float = 10,
        *,
        signing_key: Ed25519PrivateKey | None = None,
        signing: Signing = "both",
        sign_reads: bool = False,
        log_key: str | None = None,
        witnesses: WitnessPolicy | None = None,
    ) -> None:
        """`signing_key`: sign every write as your party (register its public key first),
        by the `signing` scheme: `commitment` (Deconflict-Signature), `rfc9421` (HTTP
        Message Signatures), or `both`. `sign_reads`: also sign fetches of the inbox and of
        a notice (RFC 9421), which the line then records as evidence that you fetched them.
        `log_key`: the record's verifier key you trust; without it the key the server
        presents on first use is pinned for this client's life.
        `witnesses`: the witnesses whose cosignatures `witnessed_checkpoint`,
        `witnessed_receipt` and `export` require.
        """
        self.server = server.rstrip("/")
        self._timeout_s = timeout_s
        self._signing_key = signing_key
        self._signing = signing
        self._sign_reads = sign_reads
        self._log_key = NoteVerifier.from_text(log_key) if log_key else None
        self.witnesses = witnesses
        self.receipts: list[Json] = []
        self._http = httpx.Client(
            base_url=self.server,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout_s,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    # Who is on the line.

    def me(self) -> Json:
        """The party, display name, language and role the token speaks for."""
        return self._send("GET", "/v1/me")

    def parties(self) -> Json:
        """`{"parties": [...]}`: every party on the line with its duty contact."""
        return self._send("GET", "/v1/parties")

    # Declaring: every write is idempotent under its key (a fresh uuid4 unless given).

    def declare_zone(
        self, feature: Mapping[str, Any], share: str = "shape", idempotency_key: str | None = None
    ) -> Json:
        """Declare a zone (a GeoJSON Feature); `share` "contact" withholds its shape from others.

        Returns the stored feature, its conflicts and the notices sent.
        """
        body = _with_properties(feature, share=share)
        return self._write("POST", "/v1/zones", body, body, idempotency_key)

    def notify(
        self,
        feature: Mapping[str, Any],
        idempotency_key: str | None = None,
        *,
        allow_past: bool = False,
    ) -> Json:
        """Notify an activity (a GeoJSON Feature): stored, checked, and a notice to every party.

        One whose whole window is in the past is refused unless `allow_past`.
        """
        return self._write(
            "POST",
            "/v1/activities",
            dict(feature),
            dict(feature),
            idempotency_key,
            params=_allowing_past(allow_past),
        )

    def amend(
        self,
        feature: Mapping[str, Any],
        idempotency_key: str | None = None,
        *,
        allow_past: bool = False,
    ) -> Json:
        """Amend one of your features (a new version), as a zone or activity by its `kind`.

        A feature without `properties.kind` is amended as what the line has stored;
        an activity moved wholly into the past is refused unless `allow_past`.
        """
        feature_id = str(feature.get("id", ""))
        kind = _properties(feature).get("kind")
        if kind is None:
            kind = self.feature(feature_id)["feature"]["properties"]["kind"]
        collection = "zones" if kind == "zone" else "activities"
        path = f"/v1/{collection}/{_segment(feature_id)}"
        params = _allowing_past(allow_past)
        return self._write("PUT", path, dict(feature), dict(feature), idempotency_key, params)

    def cancel(self, feature_id: str, idempotency_key: str | None = None) -> Json:
        """Cancel one of your features; parties told of it get a cancellation."""
        path = f"/v1/features/{_segment(feature_id)}/cancel"
        return self._write("POST", path, None, {"cancel": feature_id}, idempotency_key)

    def check(
        self, feature: Mapping[str, Any], *, allow_past: bool = False, validate_only: bool = False
    ) -> Json:
        """Dry run: `{"conflicts": [...]}` the feature would have; declares nothing.

        Refused, as `notify` would refuse it, for an activity wholly in the past unless
        `allow_past`. One that meets another party's hidden zone is a probe: counted
        against your party's budget (429 once spent), recorded, and shown to the zone's
        owner. `validate_only` only reads the feature (`{"valid": true}`): no conflicts,
        no probe.
        """
        params = dict(_allowing_past(allow_past) or {})
        if validate_only:
            params["validate_only"] = "true"
        return self._send("POST", "/v1/check", body=dict(feature), params=params or None)

    # Reading the line.

    def import_features(
        self,
        features: Sequence[Mapping[str, Any]],
        partial: bool = False,
        idempotency_key: str | None = None,
        *,
        allow_past: bool = False,
    ) -> Json:
        """Declare many features in one step (all or none unless `partial`; activities wholly
        in the past refused unless `allow_past`).

        Returns `imported` (id, conflicts, notices each) and `refused` (index, id, errors).
        """
        body = {"features": [dict(f) for f in features], "partial": partial}
        if allow_past:
            body["allow_past"] = True
        return self._write("POST", "/v1/imports", body, body, idempotency_key)

    def features(self, include_cancelled: bool = False, ended: bool = False) -> Json:
        """A FeatureCollection of what you may see: yours, all activities, shared zones.

        Features whose last occurrence has ended are left out unless `ended`.
        """
        params = {}
        if include_cancelled:
            params["include_cancelled"] = "true"
        if ended:
            params["ended"] = "include"
        return self._send("GET", "/v1/features", params=params or None)

    def feature(self, feature_id: str, party: str | None = None) -> Json:
        """`{"feature", "history"}`: one feature and its versions.

        Ids are per party: `party` names whose feature; without it, your own, else the one
        feature of that id you may see.
        """
        return self._send("GET", _feature_path(feature_id, party))

    def inbox(self) -> Json:
        """`{"notices": [...]}` addressed to you, overdue first; marks them delivered."""
        return self._send("GET", "/v1/inbox", sign=self._sign_reads)

    def outbox(self) -> Json:
        """`{"notices": [...]}` you sent, newest first, with their state and responses."""
        return self._send("GET", "/v1/outbox")

    def notice(self, notice_id: int) -> Json:
        """`{"notice": ...}` with its thread rendered in your language; marks it read."""
        return self._send("GET", f"/v1/notices/{int(notice_id)}", sign=self._sign_reads)

    # Answering.

    def respond(
        self,
        notice_id: int,
        response: str,
        reason: str | None = None,
        text: str | None = None,
        idempotency_key: str | None = None,
    ) -> Json:
        """Answer a notice addressed to you: "acknowledged", "objection" or "clarification".

        An objection needs a `reason` (forces_present, civilians_present,
        protected_site, insufficient_notice, airspace_conflict, other); `text` is
        free text carried as is, alongside.
        """
        body: Json = {"response": response}
        if reason is not None:
            body["reason"] = reason
        if text is not None:
            body["text"] = text
        path = f"/v1/notices/{int(notice_id)}/responses"
        signed = {"notice": int(notice_id), **body}
        return self._write("POST", path, body, signed, idempotency_key)

    def reply(self, notice_id: int, text: str, idempotency_key: str | None = None) -> Json:
        """Add free text to a notice's thread (either side)."""
        path = f"/v1/notices/{int(notice_id)}/replies"
        signed = {"notice": int(notice_id), "text": text}
        return self._write("POST", path, {"text": text}, signed, idempotency_key)

    # Your party's signing key and tokens: an admin token's to manage.

    def register_key(self, public_key_b64: str) -> Json:
        """Register or rotate your party's public Ed25519 key (base64, raw 32 bytes) for signed
        writes (admin)."""
        return self._send("PUT", "/v1/me/key", body={"public_key": public_key_b64})

    def issue_token(self, role: str) -> Json:
        """A new token of your party with `role` (duty, planner or admin):
        `{"party", "token_id", "role", "token"}`; the token is shown this once (admin)."""
        return self._send("POST", "/v1/me/tokens", body={"role": role})

    def revoke_token(self, token_id: str) -> Json:
        """Revoke one of your party's tokens by its id (admin)."""
        return self._send("DELETE", f"/v1/me/tokens/{_segment(token_id)}")

    def add_escalation(self, party: str, destination: Json) -> Json:
        """Send your party's overdue notices to a destination (admin): `{"channel": "webhook",
        "url", "signing", "secret"}` or `{"channel": "email", "address"}`; answers
        `{"destination", "secret"}` (a secret the line made, shown this once)."""
        path = f"/v1/parties/{_segment(party)}/escalation/destinations"
        return self._send("POST", path, body=destination)

    def escalation_deliveries(self, party: str) -> Json:
        """Your party's escalation deliveries, newest first, with every attempt (admin)."""
        return self._send("GET", f"/v1/parties/{_segment(party)}/escalation/deliveries")

    def exported(self, file_format: str, ended: bool = False) -> str:
        """What you may see, written by the line as `geojson`, `kml`, `csv`, `cot`, `aco` or
        `notam`; features whose last occurrence has ended only with `ended`."""
        params = {"ended": "include"} if ended else None
        return self._text(f"/v1/export/{_segment(file_format)}", params)

    def notam(
        self,
        feature_id: str,
        fir: str = "XXXX",
        number: str | None = None,
        party: str | None = None,
    ) -> str:
        """One feature as NOTAM-style text (a zone shared only as a contact is refused);
        `party` names whose feature, as for `feature`."""
        params = {"fir": fir} | ({"number": number} if number else {})
        return self._text(f"{_feature_path(feature_id, party)}/notam", params)

    # The record.

    def log_key(self) -> str:
        """The verifier key the server presents for its record (compare it out of band)."""
        return self._text("/v1/log/key").strip()

    def checkpoint(self) -> str:
        """The record's current head: a signed note."""
        return self._text("/v1/log/checkpoint")

    def witnessed_checkpoint(self, wait_s: float = 10.0, at_least: int = 0) -> Witnessed:
        """The record's checkpoint, of `at_least` entries or more, once the witnesses this client
        requires have cosigned it (the line asks them after each commit).

        Raises NotWitnessed when none has been after `wait_s` seconds: the line may be
        showing this party a view of the record its witnesses refused.
        """
        return self._until_witnessed(self.checkpoint, lambda note: note, wait_s, at_least)[1]

    def _until_witnessed(
        self, fetch: Callable[[], T], note_of: Callable[[T], str], wait_s: float, at_least: int = 0
    ) -> tuple[T, Witnessed]:
        """What `fetch` answers, once the note in it (`note_of`) is of `at_least` entries and
        cosigned as this client's policy requires; NotWitnessed after `wait_s` seconds."""
        policy = self._policy()
        deadline = time.monotonic() + wait_s
        while True:
            try:
                answer = fetch()
                witnessed = policy.check(note_of(answer), self._pinned_log_key())
                if witnessed.checkpoint.size >= at_least:
                    return answer, witnessed
                refusal = NotWitnessed(
                    f"the cosigned checkpoint holds {witnessed.checkpoint.size} entries, "
                    f"not yet {at_least}",
                    field="cosignature",
                )
            except NotWitnessed as missing:
                refusal = missing
            if time.monotonic() >= deadline:
                raise refusal
            time.sleep(_WITNESS_POLL_S)

    def witnessed_receipt(self, receipt: Mapping[str, Any], wait_s: float = 10.0) -> Witnessed:
        """Hold a receipt to the witnesses: a checkpoint they cosigned that extends the
        receipt's (its consistency proof checked). Raises NotWitnessed or InvalidProof."""
        held = verify_receipt(receipt, self._pinned_log_key())
        witnessed = self.witnessed_checkpoint(wait_s, at_least=held.size)
        later = witnessed.checkpoint
        proof: list[bytes] = []
        if held.size < later.size:
            answer = self._send(
                "GET",
                "/v1/log/proof/consistency",
                params={"first": str(held.size), "second": str(later.size)},
            )
            proof = [_b64(h) for h in answer["proof"]]
        verify_consistency(held.size, later.size, held.root_hash, later.root_hash, proof)
        return witnessed

    def _policy(self) -> WitnessPolicy:
        if self.witnesses is None:
            raise RecordError(
                "this client requires no witnesses: give it a WitnessPolicy", field="witnesses"
            )
        return self.witnesses

    def log_entries(self, start: int = 0, end: int | None = None) -> Json:
        """`{"tree_size", "entries": [{"index", "leaf", "leaf_hash", "entry"}]}`, up to 1,000;
        an entry also has `openings` of the sealed parts your party may read, and `opened`,
        the entry as you read it, when its sealed part is one of them."""
        params = {"start": str(start)} | ({"end": str(end)} if end is not None else {})
        return self._send("GET", "/v1/log/entries", params=params)

    def export(self, folder: Path) -> int:
        """Write the whole record as an offline bundle (see `record.bundle`); returns its size.

        The checkpoint is taken first and exactly its entries are fetched, so
        the bundle is consistent even while the line keeps writing; with `witnesses`,
        the first checkpoint they cosigned, with their cosignatures.
        """
        verifier = self._pinned_log_key()
        if self.witnesses is None:
            note = self.checkpoint()
            size = open_checkpoint(note, [verifier], origin=verifier.name).size
        else:
            witnessed = self.witnessed_checkpoint()
            note, size = witnessed.note, witnessed.checkpoint.size
        leaves: list[tuple[int, bytes, bytes]] = []
        openings: dict[int, list[Opening]] = {}
        while len(leaves) < size:
            page = self.log_entries(len(leaves), size)["entries"]
            if not page:
                raise ServerUnreachable(self.server, "the record ended before its checkpoint")
            leaves += [(e["index"], _b64(e["leaf"]), _b64(e["leaf_hash"])) for e in page]
            for e in page:
                if e.get("openings"):
                    openings[e["index"]] = [Opening.from_document(o) for o in e["openings"]]
        return write_bundle(folder, leaves, note, verifier.to_text(), openings)

    def evidence(self, notice_id: int, wait_s: float = 10.0) -> Json:
        """The evidence file of a notice (record/evidence.py) as your party may read it, checked
        with the pinned log key before it is returned; with `witnesses`, once its checkpoint
        carries the cosignatures they require (waiting up to `wait_s`). BundleInvalid if it
        does not verify."""
        path = f"/v1/notices/{int(notice_id)}/evidence"
        if self.witnesses is None:
            document = self._send("GET", path)
        else:
            document, _ = self._until_witnessed(
                lambda: self._send("GET", path), lambda d: str(d.get("checkpoint")), wait_s
            )
        verify_evidence(evidence_from(document), self._pinned_log_key(), self.witnesses)
        return document

    def _pinned_log_key(self) -> NoteVerifier:
        if self._log_key is None:
            self._log_key = NoteVerifier.from_text(self.log_key())
        return self._log_key

    def _write(
        self,
        method: str,
        path: str,
        body: Any,
        signed: Json,
        key: str | None,
        params: Mapping[str, str] | None = None,
    ) -> Json:
        """A write, signed when the client has a key; its receipt checked and kept."""
        headers = {}
        if self._signing_key is not None and self._signing != "rfc9421":
            signature, salt = sign_sealed(self._signing_key, signed)
            headers["Deconflict-Signature"] = signature
            headers["Deconflict-Signature-Salt"] = encode_base64(salt)
        answer = self._send(method, path, body=body, key=key, params=params, headers=headers)
        receipt = answer.get("receipt")
        if isinstance(receipt, dict) and "checkpoint" in receipt:
            verify_receipt(receipt, self._pinned_log_key())
            self.receipts.append(receipt)
        return answer

    def _text(self, path: str, params: Mapping[str, str] | None = None) -> str:
        try:
            response = self._http.get(path, params=params)
        except httpx.TransportError as error:
            raise ServerUnreachable(self.server, _reason(error)) from None
        if not response.is_success:
            raise ApiError(response.status_code, _problem(response))
        return response.text

    # Live events.

    def events(
        self, after: int | None = None, timeout_s: float | None = None
    ) -> Iterator[StreamEvent]:
        """Your events after event `after` (None: from the first), then live ones as they come.

        A dropped stream is resumed with `Last-Event-ID` (after the server's
        `retry` delay), so no event is missed or repeated; a server that cannot
        be reached raises ServerUnreachable. The iterator ends after about
        `timeout_s` seconds (None: never; stop by leaving the loop).
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        parser = _EventParser(after)
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            read_s = None if remaining is None else min(remaining, _STREAM_SLICE_S)
            try:
                yield from self._stream(parser, read_s, deadline)
            except httpx.ReadTimeout:
                continue  # a quiet slice of a bounded wait ended: resume at once
            except httpx.TransportError:
                pass  # the stream dropped: resume after the server's retry delay
            pause_s = parser.retry_s
            if deadline is not None:
                pause_s = min(pause_s, max(0.0, deadline - time.monotonic()))
            time.sleep(pause_s)

    def _stream(
        self, parser: _EventParser, read_s: float | None, deadline: float | None
    ) -> Iterator[StreamEvent]:
        """One connection of the event stream; raises httpx's errors when it drops."""
        headers = {"Accept": "text/event-stream"}
        if parser.last_id is not None:
            headers["Last-Event-ID"] = str(parser.last_id)
        timeout = httpx.Timeout(self._timeout_s, read=read_s)
        try:
            request = self._http.build_request(
                "GET", "/v1/events", headers=headers, timeout=timeout
            )
            response = self._http.send(request, stream=True)
        except httpx.ReadTimeout:
            raise  # connected, but quiet for a whole slice: the caller resumes
        except httpx.TransportError as error:
            raise ServerUnreachable(self.server, _reason(error)) from None
        try:
            if not response.is_success:
                response.read()
                _answer(self.server, response)
            parser.restart()
            for line in response.iter_lines():
                event = parser.feed(line)
                if event is not None:
                    yield event
                if deadline is not None and time.monotonic() >= deadline:
                    return
        finally:
            response.close()

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        key: str | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        sign: bool = False,
    ) -> Json:
        """Send a request (a write under an Idempotency-Key); a write, or a read asked to be
        `sign`ed, carries an RFC 9421 signature when the client signs that way."""
        headers = dict(headers or {})
        keyed = method in ("POST", "PUT")
        if keyed:
            headers["Idempotency-Key"] = key or str(uuid.uuid4())
        request = self._http.build_request(method, path, json=body, headers=headers, params=params)
        if self._signing_key is not None and self._signing != "commitment" and (keyed or sign):
            sign_request(request, self._signing_key, write=keyed)
        return _answer(self.server, self._send_until_answered(request, keyed))

    def _send_until_answered(self, request: httpx.Request, keyed: bool) -> httpx.Response:
        """The server's answer to `request`, sent again while none comes back, and, for a write
        under an Idempotency-Key, while the server answers 5xx.

        The server may have stored a write before its answer was lost or failed: the same key
        makes a later attempt return the first answer (or do the write, if it was not done),
        so a stored write is never reported as failed while a retry can reach the server.
        """
        for attempt in range(1, _ATTEMPTS):
            try:
                response = self._http.send(request)
            except httpx.TransportError:
                continue
            if not (keyed and response.status_code >= 500):
                return response
            time.sleep(_RETRY_PAUSE_S * attempt)
        try:
            return self._http.send(request)
        except httpx.TransportError as error:
            raise ServerUnreachable(self.server, _reason(error)) from None


def sign_request(request: httpx.Request, key: Ed25519PrivateKey, *, write: bool) -> None:
    """Sign `request` in place as RFC 9421 says (label `sig1`, Ed25519, `keyid` the base64
    public key, `created` now): a write covers its method, path, Content-Digest (SHA-256 of
    the body, added) and Idempotency-Key; a read its method and path."""
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519)
    prepared = signer.prepare(
        request,
        key_id=public_key_b64(key),
        created=datetime.now(UTC),
        label="sig1",
        covered_component_ids=WRITE_COMPONENTS if write else READ_COMPONENTS,
        body=request.read() if write else None,
    )
    signer.apply(request, prepared, key.sign(prepared.signature_base))


class _EventParser:
    """Server-sent events, line by line (the WHATWG rules): dispatch on a blank line.

    `last_id` is the id of the last *dispatched* event: a stream cut inside an
    event resumes before it, so the event comes again, whole.
    """

    def __init__(self, after: int | None) -> None:
        self.last_id = after
        self.retry_s = _DEFAULT_RETRY_S
        self.restart()

    def restart(self) -> None:
        """Forget a partly received event (the connection that carried it is gone)."""
        self._id: int | None = None
        self._kind = ""
        self._data: list[str] = []

    def feed(self, line: str) -> StreamEvent | None:
        """Take one line; return an event when the line completes one."""
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._kind = value
        elif name == "id" and value.isdigit():
            self._id = int(value)
        elif name == "retry" and value.isdigit():
            self.retry_s = int(value) / 1000
        return None

    def _dispatch(self) -> StreamEvent | None:
        event_id, kind, data = self._id, self._kind or "message", "\n".join(self._data)
        self.restart()
        if event_id is None or not data:
            return None
        self.last_id = event_id
        payload = json.loads(data)
        return StreamEvent(
            event_id, kind, payload if isinstance(payload, dict) else {"value": payload}
        )


def _answer(server: str, response: httpx.Response) -> Json:
    """The JSON body of a 2xx answer; raise ApiError for anything else."""
    if not response.is_success:
        raise ApiError(response.status_code, _problem(response))
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        raise ServerUnreachable(
            server, "the answer is not JSON; is this a deconflict server?"
        ) from None
    return body if isinstance(body, dict) else {"value": body}


def _problem(response: httpx.Response) -> Json:
    """The problem+json body, or one made from the status when the answer has none."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "detail" in body:
        return body
    reason = response.reason_phrase or "error"
    return {
        "type": "about:blank",
        "title": reason,
        "status": response.status_code,
        "detail": f"HTTP {response.status_code} {reason}",
    }


def _reason(error: httpx.TransportError) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _properties(feature: Mapping[str, Any]) -> Mapping[str, Any]:
    properties = feature.get("properties")
    return properties if isinstance(properties, Mapping) else {}


def _with_properties(feature: Mapping[str, Any], **extra: Any) -> Json:
    """A copy of the feature with `extra` set in its properties (left alone if not an object)."""
    properties = feature.get("properties")
    if not isinstance(properties, Mapping):
        return dict(feature)
    return {**feature, "properties": {**properties, **extra}}


def _allowing_past(allow_past: bool) -> dict[str, str] | None:
    """The query that lets an activity wholly in the past through (None: the default)."""
    return {"allow_past": "true"} if allow_past else None


def _segment(text: str) -> str:
    """A feature id as one URL path segment."""
    return quote(text, safe="")


def _feature_path(feature_id: str, party: str | None) -> str:
    """The path of a feature: the party's when named, else the one a bare id names."""
    if party is None:
        return f"/v1/features/{_segment(feature_id)}"
    return f"/v1/parties/{_segment(party)}/features/{_segment(feature_id)}"


def _b64(text: str) -> bytes:
    data = decode_base64(text)
    if data is None:
        raise ValueError("the server sent invalid base64 in the record")
    return data


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
