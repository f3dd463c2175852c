"""All configuration in one typed object: environment variables `DECONFLICT_*`, then flags."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_URL_SCHEMES = ("postgresql://", "postgres://")
_PATHS = ("log_key", "tiles", "smtp_ca_file")


class SettingsError(ValueError):
    """A `DECONFLICT_*` variable or a flag the line cannot run with; the message names it."""


# Limits, deadlines and sizes: zero or less would refuse everything or nothing.
_AT_LEAST_ONE = (
    "max_body_bytes",
    "max_import_bytes",
    "max_vertices_per_feature",
    "max_vertices_per_request",
    "max_features_per_import",
    "header_timeout_s",
    "body_timeout_s",
    "keep_alive_s",
    "max_connections",
    "tick_s",
    "witness_timeout_s",
    "witness_alert_s",
    "smtp_port",
    "delivery_timeout_s",
    "delivery_retry_s",
    "delivery_retry_max_s",
    "delivery_give_up_s",
)


@dataclass(frozen=True)
class Settings:
    """How one deconflict process runs.

    db: the store: a SQLite file path, or a `postgresql://` URL for a database shared by
        several nodes. host, port: where `serve` listens.
    respond_within_s: default time a recipient has to answer a notice.
    respond_before_start_s: a notice is due at the latest this long before its activity starts.
    tick_s: how often the server escalates overdue notices and closes out ended activities.
    max_body_bytes: the largest request body the API accepts (413 beyond).
    max_import_bytes: the largest body of a bulk import (`POST /v1/imports`). A refused body
        is read whole before it is counted, so the server's memory peaks at about 11 times
        it: 24 MiB takes the largest import the default vertex limits accept (about 18 MB).
    max_vertices_per_feature: the most vertices (positions) one feature's geometry may have;
        a feature with more is refused (422, naming it), on every path that takes one.
    max_vertices_per_request: the most vertices one request may carry in all (an import: all
        its features together); beyond it the whole request is refused (413).
    max_features_per_import: the most features one import may carry (413 beyond).
    header_timeout_s: a request's headers must have arrived this long after its first byte
        (or after the connection opened); otherwise 408 and the connection is closed.
    body_timeout_s: a request's body must have arrived this long after its headers; otherwise
        408 (when no answer has begun) and the connection is closed.
    keep_alive_s: an idle connection between requests is closed after this long.
    max_connections: connections (and requests in progress) the server takes at once; beyond
        it a request is answered 503. Each open console's event stream holds one.
    log_key: the PEM file of the key that signs the record's checkpoints
        (default: beside the store, `<db>.log-key.pem`, made on first start; for a
        PostgreSQL URL `<database name>.log-key.pem` in the working directory).
        Several nodes on one database must all be given the same key.
    log_origin: the record's name, first line of every checkpoint and the key's name.
    tile_url: an online map tile layer for the console (`{z}/{x}/{y}` template, `{s}` allowed);
        empty: the console shows only its offline world map.
    tiles: a map tile file the server serves to the console (MBTiles or PMTiles v3; raster
        PNG, JPEG or WebP, or vector tiles); drawn over the offline world map, in place of
        `tile_url`. A file that cannot be served is refused at start.
    access_log: where the server writes one line per request (request id, party, method,
        path, status, milliseconds): a file (appended), `-` for standard error; empty (the
        default): nowhere, so a terminal running the line stays readable.
    probes_per_hour: how many dry runs that meet other parties' `contact` zones a party may
        make in any hour (a sliding window); beyond it every dry run of the party is refused
        (429) until the oldest of them is an hour old.
    skip_check: start the server without checking the store against its record (an
        emergency only: the server says so loudly, and leaves the head file as it was).
    public_url: the line's address as the people it escalates to reach it (e.g.
        `https://line.example.org`), for the link to the notice in escalation e-mails and
        webhooks; empty: `http://<host>:<port>`.
    smtp_host, smtp_port: the mail server escalation e-mails are sent through (port 587,
        submission with STARTTLS); empty host: e-mail destinations are given up at once, each
        with that reason on the record.
    smtp_user, smtp_password: the mail server's login (after STARTTLS); empty: none.
    smtp_from: the From address of escalation e-mails (empty: `deconflict@<host name>`).
    smtp_tls: STARTTLS is required (the server's certificate checked); 0 sends in the clear,
        refused at start unless `smtp_host` is a loopback address (a relay on the same
        machine).
    smtp_ca_file: a PEM file of the certificate authorities the mail server's certificate is
        checked against (default: the system's).
    delivery_timeout_s: how long one webhook request or one SMTP conversation may take.
    delivery_retry_s, delivery_retry_max_s: after a failed delivery the next try comes this
        long after, doubling each time up to the most.
    delivery_give_up_s: a delivery not made this long after the escalation is given up (its
        last attempt on the record says so).
    start_check_entries: the check at start compares the rows with at most this many of the
        latest entries (every leaf and the signed head are checked whatever the size);
        `deconflict db check` always compares them all.
    witnesses: the parties' witnesses the line asks to cosign each new checkpoint, separated
        by commas, each `URL KEY`: the witness's URL prefix (`POST URL/add-checkpoint`) and
        its witness key (`deconflict witness key`); a witness named twice with two keys is
        accepted under either (while it changes its key). Empty (the default): none.
    witness_timeout_s: how long the line waits for one witness's answer before it counts as
        failed (and is asked again later, after a pause that doubles up to a minute).
    witness_alert_s: a witness that has not cosigned the record's head this long after the
        line first served a newer one counts as lagging (`GET /v1/log/witnesses`, the
        console's header).
    utm_jwt_keys: the PEM files (separated by commas) of the public keys that sign the
        OAuth 2 access tokens USSs present to the DSS (`/dss/v1`, `/aux/v1`; RS256). Empty
        (the default): no token is accepted there.
    utm_audiences: the audiences (separated by commas) a USS's token must be issued for:
        the DSS's host names as USSs reach it (e.g. `dss.example.org`). Empty: no token is
        accepted.
    utm_parties: USSs mapped to line parties, `USS=PARTY` separated by commas (e.g.
        `wing=coalition`): each operational intent of the USS is then an activity of the
        party on the line, checked and notified as any other (api/dss_bridge.py).
    """

    db: str | Path = "deconflict.db"
    host: str = "127.0.0.1"
    port: int = 8000
    respond_within_s: int = 30 * 60
    respond_before_start_s: int = 15 * 60
    tick_s: int = 5
    max_body_bytes: int = 1_048_576
    max_import_bytes: int = 24 * 1_048_576
    max_vertices_per_feature: int = 10_000
    max_vertices_per_request: int = 500_000
    max_features_per_import: int = 50_000
    header_timeout_s: int = 10
    body_timeout_s: int = 60
    keep_alive_s: int = 5
    max_connections: int = 2048
    log_key: Path | None = None
    log_origin: str = "deconflict.line/log"
    tile_url: str = ""
    tiles: Path | None = None
    access_log: str = ""
    probes_per_hour: int = 20
    skip_check: bool = False
    start_check_entries: int = 20_000
    witnesses: str = ""
    witness_timeout_s: int = 5
    witness_alert_s: int = 10 * 60
    public_url: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_tls: bool = True
    smtp_ca_file: Path | None = None
    delivery_timeout_s: int = 10
    delivery_retry_s: int = 30
    delivery_retry_max_s: int = 15 * 60
    delivery_give_up_s: int = 24 * 60 * 60
    utm_jwt_keys: str = ""
    utm_audiences: str = ""
    utm_parties: str = ""

    def __post_init__(self) -> None:
        for name in _AT_LEAST_ONE:
            value = getattr(self, name)
            if value < 1:
                raise SettingsError(
                    f"{name} (DECONFLICT_{name.upper()}) must be at least 1, not {value!r}"
                )
        if self.smtp_host and not self.smtp_tls and not is_loopback(self.smtp_host):
            raise SettingsError(
                f"smtp_tls (DECONFLICT_SMTP_TLS) is 0 but smtp_host {self.smtp_host!r} is not a"
                " loopback address: escalation e-mail leaves the machine only over STARTTLS"
            )
        self.witness_keys()
        self.utm_party_map()

    def witness_keys(self) -> list[tuple[str, str]]:
        """The `witnesses` setting read: (URL prefix, witness key text) of each witness, the
        URL without a trailing slash; api/cosigning.py reads the keys."""
        pairs = []
        for item in filter(None, (part.strip() for part in self.witnesses.split(","))):
            url, _, key = item.partition(" ")
            if not url.startswith(("http://", "https://")) or not key.strip():
                raise SettingsError(
                    f"witnesses (DECONFLICT_WITNESSES): {item!r} is not `URL KEY`, an http:// "
                    "or https:// URL and a witness key"
                )
            pairs.append((url.rstrip("/"), key.strip()))
        return pairs

    def utm_key_files(self) -> list[Path]:
        """The `utm_jwt_keys` setting read: each public key's PEM file."""
        return [Path(part.strip()) for part in self.utm_jwt_keys.split(",") if part.strip()]

    def utm_audience_names(self) -> list[str]:
        """The `utm_audiences` setting read: each audience a USS's token may name."""
        return [part.strip() for part in self.utm_audiences.split(",") if part.strip()]

    def utm_party_map(self) -> dict[str, str]:
        """The `utm_parties` setting read: the line party of each mapped USS."""
        found = {}
        for item in filter(None, (part.strip() for part in self.utm_parties.split(","))):
            uss, _, party = item.partition("=")
            if not uss.strip() or not party.strip():
                raise SettingsError(
                    f"utm_parties (DECONFLICT_UTM_PARTIES): {item!r} is not `USS=PARTY`"
                )
            found[uss.strip()] = party.strip()
        return found

    @property
    def console_url(self) -> str:
        """Where the console is reached, for links to it (`public_url`, or host and port)."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def log_key_path(self) -> Path:
        """Where the record's signing key lives."""
        if self.log_key is not None:
            return self.log_key
        if is_postgres_url(self.db):
            name = urlsplit(str(self.db)).path.strip("/") or "deconflict"
            return Path(f"{name}.log-key.pem")
        db = Path(self.db)
        return db.with_name(db.name + ".log-key.pem")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **flags: Any) -> Settings:
        """Settings from `DECONFLICT_<FIELD>` variables, overridden by non-None flags."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = environ.get(f"DECONFLICT_{field.name.upper()}")
            if raw is not None:
                values[field.name] = _convert(field.name, raw)
        values.update({k: v for k, v in flags.items() if v is not None})
        return replace(cls(), **values)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_postgres_url(db: str | Path) -> bool:
    """True for a `postgresql://` (or `postgres://`) URL, False for a SQLite file path."""
    return str(db).startswith(_URL_SCHEMES)


def _convert(name: str, raw: str) -> Any:
    default = getattr(Settings(), name)
    if isinstance(default, bool):
        return _flag(name, raw)
    if name in _PATHS:
        return Path(raw) if raw else None
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(
                f"DECONFLICT_{name.upper()} must be a whole number, not {raw!r}"
            ) from None
    return raw


def _flag(name: str, raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("", "0", "false", "no", "off"):
        return False
    raise SettingsError(f"DECONFLICT_{name.upper()} must be 1 or 0 (true or false), not {raw!r}")
