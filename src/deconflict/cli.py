"""The `deconflict` command line: a thin skin over the library.

Exit codes: 0 ok, 1 conflicts found, 2 bad input, 3 operational failure.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from typer.core import TyperGroup

from deconflict.client import ApiError, Client, Json, ServerUnreachable
from deconflict.errors import (
    DeconflictError,
    Forbidden,
    InvalidFeature,
    InvalidPlan,
    NotFound,
    RateLimited,
    RequestTooLarge,
    StateConflict,
)
from deconflict.examples import EXAMPLES, example_text
from deconflict.geo.coords import InvalidCoordinate, format_dms, format_mgrs, parse_position
from deconflict.geo.geojson import count_positions
from deconflict.i18n import timeline
from deconflict.i18n.distances import format_distance
from deconflict.i18n.dtg import format_dtg, parse_moment
from deconflict.i18n.messages import ObjectionReason
from deconflict.line.check import check_plan
from deconflict.line.deliveries import Signing, email, webhook
from deconflict.line.escalation import add_destination, remove_destination
from deconflict.line.model import ResponseKind
from deconflict.line.parties import Party, Role, issue_token, register_party, revoke
from deconflict.line.views import altitude_json, occurrences_json
from deconflict.record.bundle import BundleInvalid, verify_bundle
from deconflict.record.cosignature import Cosigner, WitnessPolicy
from deconflict.record.errors import NotWitnessed, RecordError
from deconflict.record.evidence import ProvenThread, read_evidence, verify_evidence
from deconflict.record.keys import generate_private_key, load_private_key_file, private_key_pem
from deconflict.record.note import NoteVerifier, load_signer, open_checkpoint
from deconflict.record.policy_file import read_witness_policy
from deconflict.record.signature import generate_party_key
from deconflict.record.witness import Witness
from deconflict.rules.conflicts import Conflict
from deconflict.rules.feature import Feature, Kind
from deconflict.rules.ids import read_id
from deconflict.rules.limits import Limits
from deconflict.rules.plan import feature_to_geojson, format_time, parse_plan
from deconflict.settings import Settings, SettingsError
from deconflict.store import LogKey, Store, is_postgres_url, open_store, shown, upgrade
from deconflict.store.audit import (
    StoreInconsistent,
    check_store,
    consistent_line,
    head_line,
    refusal,
    report_document,
)
from deconflict.store.head import HeadFile, HeadUnreadable, head_path
from deconflict.store.rebuild import rebuild, rebuilt_lines
from deconflict.store.witness_state import WitnessStateFile


class Exit(IntEnum):
    OK = 0
    CONFLICTS = 1
    BAD_INPUT = 2
    FAILURE = 3


class UnusableInput(DeconflictError):
    """What the operator gave a command cannot be used: a file, a flag, a name, a key."""


class OperationalFailure(DeconflictError):
    """The command could not do its work: no port to listen on, a server that is gone."""


class DoesNotVerify(DeconflictError):
    """A record bundle does not prove what it claims."""


class ServerAnswered(DeconflictError):
    """The server refused a request (4xx) or failed it (5xx); the message tells it in full."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


# The one table from errors to exit codes: the first kind an error is decides.
EXIT_CODES: tuple[tuple[type[DeconflictError], Exit], ...] = (
    (DoesNotVerify, Exit.CONFLICTS),
    (BundleInvalid, Exit.CONFLICTS),
    (StoreInconsistent, Exit.CONFLICTS),
    (UnusableInput, Exit.BAD_INPUT),
    (InvalidFeature, Exit.BAD_INPUT),
    (InvalidPlan, Exit.BAD_INPUT),
    (InvalidCoordinate, Exit.BAD_INPUT),
    (NotFound, Exit.BAD_INPUT),
    (Forbidden, Exit.BAD_INPUT),
    (StateConflict, Exit.BAD_INPUT),
    (RateLimited, Exit.BAD_INPUT),
    (RequestTooLarge, Exit.BAD_INPUT),
    (DeconflictError, Exit.FAILURE),  # EngineFailure, StoreUnavailable, ServerUnreachable...
)


def exit_code(error: DeconflictError) -> Exit:
    """The exit code a command that raised `error` ends with (docs/reference.md, Errors)."""
    if isinstance(error, ApiError | ServerAnswered):  # a refusal is bad input, a 5xx a failure
        return Exit.BAD_INPUT if error.status < 500 else Exit.FAILURE
    return next(code for kind, code in EXIT_CODES if isinstance(error, kind))


class _Edge(TyperGroup):
    """The commands' edge: an error is written to stderr and ends the command with its code."""

    def invoke(self, ctx: Any) -> Any:  # ctx: typer's own (vendored, private) click Context
        try:
            return super().invoke(ctx)
        except DeconflictError as error:
            _write_errors([_describe(error)])
            raise typer.Exit(int(exit_code(error))) from None
        except SettingsError as error:  # a DECONFLICT_* variable the line cannot run with
            _write_errors([_describe(UnusableInput(str(error)))])
            raise typer.Exit(int(Exit.BAD_INPUT)) from None


app = typer.Typer(
    cls=_Edge,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="deconflict: declare what you protect, notify what you plan, see every clash.",
)
_stdout = Console(highlight=False)


def _commands(help_text: str) -> typer.Typer:
    """A group of sub-commands (`deconflict party ...`), shown with its help when run bare."""
    return typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False, help=help_text)


def _write_errors(lines: list[str]) -> None:
    # Plain writes: an error line must never be wrapped or restyled.
    sys.stderr.write("".join(f"{line}\n" for line in lines))


def _describe(error: DeconflictError) -> str:
    value = "" if error.value is None else f" (value: {json.dumps(error.value, default=str)})"
    return f"{error}{value}"


def _read_json(path: Path) -> Any:
    """The JSON document in a file (`-` reads standard input); UnusableInput when it is not."""
    text = _read_text(path, "the plan")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UnusableInput(
            f"{path}: not JSON: line {error.lineno} column {error.colno}: {error.msg}"
        ) from None


def _read_plan(path: Path) -> list[Feature]:
    document = _read_json(path)
    try:
        return parse_plan(document, Limits.of(Settings.from_env()))
    except InvalidPlan as error:
        lines = [f"{path}: {error}:", *(f"  {_describe(p)}" for p in error.problems)]
        raise UnusableInput("\n".join(lines)) from None


def conflict_to_json(conflict: Conflict, features: Mapping[str, Feature]) -> dict[str, Any]:
    """A conflict as `check --json` writes it (`features` by id: the plan's)."""
    found: dict[str, Any] = {
        "ids": list(conflict.ids),
        "distance_m": round(conflict.distance_m, 3),
        "start": format_time(conflict.window.start),
        "end": format_time(conflict.window.end) if conflict.window.end else None,
    }
    if conflict.occurrences is not None:
        found["occurrences"] = occurrences_json(conflict.occurrences)
    if conflict.altitude is not None:
        found["altitude"] = altitude_json(conflict.altitude)
    weeks = _weeks_notes(conflict, features)
    if weeks:
        found["weeks"] = weeks
    return found


# A Rich table lays out every cell before it prints anything (about 2 s for 5,000 rows); a
# report longer than this is printed as aligned lines instead, one conflict a line, as quick to
# read down and to grep.
_TABLE_ROWS_AT_MOST = 500


def _conflict_rows(
    conflicts: list[Conflict], features: Mapping[str, Feature]
) -> tuple[list[str], list[list[str]]]:
    """The report's column headers and its rows, earliest conflict first."""
    headers = ["When (UTC)", "Feature", "Against", "Distance"]
    notes = any(c.occurrences or c.altitude for c in conflicts)
    if notes:
        headers.append("Notes")
    rows = []
    for conflict in sorted(conflicts, key=lambda c: (c.window.start, c.ids)):
        a, b = (features[i] for i in conflict.ids)
        row = [
            _when(conflict.window.start, conflict.window.end),
            _label(a),
            _label(b),
            _distance(conflict.distance_m),
        ]
        if notes:
            row.append(_notes(conflict, features))
        rows.append(row)
    return headers, rows


def _conflicts_title(conflicts: list[Conflict]) -> str:
    return f"{len(conflicts)} conflict{'s' if len(conflicts) != 1 else ''}"


def _conflict_table(conflicts: list[Conflict], features: Mapping[str, Feature]) -> Table:
    headers, rows = _conflict_rows(conflicts, features)
    table = Table(title=_conflicts_title(conflicts))
    for header in headers:
        if header == "Distance":
            table.add_column(header, justify="right", no_wrap=True)
        else:
            table.add_column(header, no_wrap=header == "When (UTC)")
    for row in rows:
        table.add_row(*row)
    return table


def _conflict_lines(conflicts: list[Conflict], features: Mapping[str, Feature]) -> str:
    """The report as aligned plain lines: the title, the headers, then one conflict a line
    (columns padded to their widest cell as a terminal shows it, the distance to the right;
    nothing is wrapped or read as markup)."""
    headers, rows = _conflict_rows(conflicts, features)
    widths = [max(cell_len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]
    distance = headers.index("Distance")

    def aligned(cells: list[str]) -> str:
        padded = []
        for column, cell in enumerate(cells):
            gap = " " * (widths[column] - cell_len(cell))
            padded.append(gap + cell if column == distance else cell + gap)
        return "  ".join(padded).rstrip()

    return "\n".join([_conflicts_title(conflicts), aligned(headers), *map(aligned, rows)])


def _notes(conflict: Conflict, features: Mapping[str, Feature]) -> str:
    """Which occurrences meet, whether the bands were widened across datums, and how weeks
    are counted where that changes the dates."""
    notes = []
    if conflict.occurrences is not None:
        total = conflict.occurrences.total
        notes.append(
            "meets every occurrence UFN" if total is None else f"{total} occurrence(s) meet"
        )
    if conflict.altitude is not None:
        datums = "/".join(d.upper() for d in conflict.altitude.datums)
        widened = format_distance(conflict.altitude.widened_m)
        notes.append(f"datums {datums}: bands widened {widened}")
    notes.extend(f"{fid}: {note}" for fid, note in _weeks_notes(conflict, features).items())
    return "; ".join(notes)


def _weeks_notes(conflict: Conflict, features: Mapping[str, Feature]) -> dict[str, str]:
    """By feature id: how its every N weeks is counted, for each feature of the conflict where
    counting from the first occurrence's own day would give other dates."""
    notes = {}
    for fid in conflict.ids:
        window, repeat = features[fid].window, features[fid].repeat
        if repeat is not None and repeat.calendar_weeks_matter(window.start):
            notes[fid] = (
                f"every {repeat.interval} weeks counted in calendar weeks (Mon-Sun, UTC) "
                f"from the week of {window.start:%Y-%m-%d}"
            )
    return notes


def _distance(distance_m: float | None) -> str:
    if distance_m is None:
        return "(withheld)"
    return "0 (overlap)" if distance_m == 0 else format_distance(distance_m)


def _when(start: datetime, end: datetime | None) -> str:
    if end is None:
        return f"{start:%Y-%m-%d %H:%M} → open"
    if end.date() == start.date():
        return f"{start:%Y-%m-%d %H:%M} → {end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} → {end:%m-%d %H:%M}"


def _label(feature: Feature) -> str:
    return f"{feature.id} ({feature.activity or feature.kind.value}, {feature.party})"


@app.command()
def check(
    plan: Annotated[
        Path,
        typer.Argument(
            help="A GeoJSON FeatureCollection of zones and activities (- reads standard input)."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Report every conflict in a plan, in space, altitude and time.

    Exit status: 0 no conflict, 1 conflicts found, 2 invalid plan.

    Example: deconflict check plan.geojson --json
    """
    features = _read_plan(plan)
    conflicts = check_plan(features)
    by_id = {f.id: f for f in features}
    if as_json:
        found = [conflict_to_json(c, by_id) for c in conflicts]
        sys.stdout.write(json.dumps({"conflicts": found}, indent=1) + "\n")
    elif len(conflicts) > _TABLE_ROWS_AT_MOST:
        sys.stdout.write(_conflict_lines(conflicts, by_id) + "\n")
    elif conflicts:
        _stdout.print(_conflict_table(conflicts, by_id))
    else:
        _stdout.print(f"No conflict among {len(features)} features.")
    raise typer.Exit(int(Exit.CONFLICTS if conflicts else Exit.OK))


@app.command()
def position(
    text: Annotated[str, typer.Argument(help="A position: decimal, DMS, compact DMS or MGRS.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Read a position as people type it and print it in every form the line uses.

    Example: deconflict position "33°30'00\\"N 38°38'24\\"E"
    """
    try:
        where = parse_position(text)
    except InvalidCoordinate as error:
        raise UnusableInput(str(error)) from None
    forms = {
        "lat": round(where.lat_deg, 7),
        "lon": round(where.lon_deg, 7),
        "dms": format_dms(where),
        "mgrs": format_mgrs(where),
    }
    if as_json:
        sys.stdout.write(json.dumps(forms) + "\n")
        return
    _stdout.print(f"decimal  {forms['lat']:.6f}, {forms['lon']:.6f}  (lat, lon)")
    _stdout.print(f"DMS      {forms['dms']}")
    _stdout.print(f"MGRS     {forms['mgrs']}")


@app.command()
def example(
    name: Annotated[
        str,
        typer.Argument(
            help="Which example: "
            + "; ".join(f"{n}: {what}" for n, (_, what) in EXAMPLES.items())
            + "."
        ),
    ] = "at-tanf",
) -> None:
    """Print a bundled example to standard output: a plan (GeoJSON) or a site list (CSV).

    The plan's times are moved by whole days so that its first activity starts
    within the coming day.

    Example: deconflict example at-tanf > plan.geojson
    """
    if name not in EXAMPLES:
        names = ", ".join(repr(n) for n in EXAMPLES)
        raise UnusableInput(f"no bundled example named {name!r}; there are {names}")
    sys.stdout.write(example_text(name, datetime.now(UTC)))


party_app = _commands("Manage the parties on the line and their API tokens.")
app.add_typer(party_app, name="party")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="The store: a SQLite file or a postgresql:// URL; default $DECONFLICT_DB.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _open_store(db: str | None) -> Store:
    """The store named by --db or $DECONFLICT_DB; StoreUnavailable when it cannot be opened."""
    return open_store(Settings.from_env(db=db).db)


def _print_token(party_id: str, role: Role, token: str, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps({"party": party_id, "role": role.value, "token": token}) + "\n")
        return
    _stdout.print(f"Token for {party_id} ({role.value}), shown once; keep it secret:")
    _stdout.print(token, markup=False)


@party_app.command("add")
def party_add(
    party_id: Annotated[str, typer.Argument(help="Short id, e.g. coalition.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    lang: Annotated[str, typer.Option("--lang", help="Preferred language: en, ru or ar.")] = "en",
    contact: Annotated[str | None, typer.Option("--contact", help="Duty contact.")] = None,
    escalation: Annotated[
        str | None, typer.Option("--escalation-contact", help="Who gets overdue notices.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a party and print its first (admin) API token, once.

    Example: deconflict party add coalition --name "Coalition (CJTF-OIR)" --lang en
    """
    store = _open_store(db)
    try:
        token = register_party(
            store, Party(party_id, name, lang, contact, escalation), datetime.now(UTC)
        )
    finally:
        store.close()
    _print_token(party_id, Role.ADMIN, token, as_json)


@party_app.command("token")
def party_token(
    party_id: Annotated[str, typer.Argument(help="The party.")],
    role: Annotated[Role, typer.Option("--role", help="duty, planner or admin.")] = Role.DUTY,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Issue another API token for a party, printed once.

    Example: deconflict party token coalition --role planner
    """
    store = _open_store(db)
    try:
        token = issue_token(store, party_id, role, datetime.now(UTC))
    finally:
        store.close()
    _print_token(party_id, role, token, as_json)


@party_app.command("revoke")
def party_revoke(
    party_id: Annotated[str, typer.Argument(help="The party.")],
    token_id: Annotated[
        str | None,
        typer.Option("--token-id", help="The 8-hex id after 'dcf_' in the token; omit for all."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke one token of a party, or all of them.

    Example: deconflict party revoke coalition --token-id 1a2b3c4d
    """
    store = _open_store(db)
    try:
        count = revoke(store, party_id, token_id, datetime.now(UTC))
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps({"party": party_id, "revoked": count}) + "\n")
    else:
        _stdout.print(f"Revoked {count} token{'s' if count != 1 else ''} of {party_id}.")


escalation_app = _commands(
    "Where a party's overdue notices go beyond the line: webhooks and e-mail addresses."
)
party_app.add_typer(escalation_app, name="escalation")


@escalation_app.command("add")
def escalation_add(
    party_id: Annotated[str, typer.Argument(help="The party.")],
    url: Annotated[
        str | None, typer.Option("--webhook", help="A webhook URL (https, or http to loopback).")
    ] = None,
    address: Annotated[str | None, typer.Option("--email", help="An e-mail address.")] = None,
    signing: Annotated[
        Signing, typer.Option("--signing", help="A webhook's signature: hmac or line-key.")
    ] = Signing.HMAC,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret",
            envvar="DECONFLICT_WEBHOOK_SECRET",
            help="An HMAC webhook's secret (whsec_...); left out, one is made and printed once.",
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send a party's overdue notices to a webhook (--webhook) or an e-mail address (--email).

    Example: deconflict party escalation add aid --email duty@aid.example.org
    """
    if (url is None) == (address is None):
        raise UnusableInput("give one destination: --webhook URL or --email ADDRESS")
    if url is not None:
        destination = webhook(party_id, url, signing, secret)
    else:
        destination = email(party_id, address or "")
    store = _open_store(db)
    try:
        stored = add_destination(store, destination, datetime.now(UTC))
    finally:
        store.close()
    made = url is not None and signing is Signing.HMAC and secret is None
    if as_json:
        _print_json({"destination": stored.document(), "secret": stored.secret if made else None})
        return
    _stdout.print(f"Destination {stored.id} of {party_id}: {stored.target}", markup=False)
    if made:
        _stdout.print("Its HMAC secret, shown once; give it to the receiver:", markup=False)
        _stdout.print(stored.secret, markup=False)


@escalation_app.command("list")
def escalation_list(
    party_id: Annotated[str, typer.Argument(help="The party.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List where a party's overdue notices go (a webhook's secret only as its first characters).

    Example: deconflict party escalation list aid
    """
    store = _open_store(db)
    try:
        if store.party(party_id) is None:
            raise NotFound("no such party", field="party", value=party_id)
        found = [d.document() for d in store.destinations(party_id)]
    finally:
        store.close()
    if as_json:
        _print_json({"party": party_id, "destinations": found})
        return
    if not found:
        _stdout.print(f"{party_id} escalates to nobody beyond the line.", markup=False)
    for destination in found:
        where = destination.get("address") or destination.get("url")
        extra = f" ({destination['signing']})" if destination["channel"] == "webhook" else ""
        _stdout.print(
            f"{destination['id']}  {destination['channel']}  {where}{extra}", markup=False
        )


@escalation_app.command("remove")
def escalation_remove(
    party_id: Annotated[str, typer.Argument(help="The party.")],
    destination_id: Annotated[int, typer.Argument(help="The destination's number (see list).")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stop sending a party's overdue notices to one destination.

    Example: deconflict party escalation remove aid 3
    """
    store = _open_store(db)
    try:
        remove_destination(store, party_id, destination_id, datetime.now(UTC))
    finally:
        store.close()
    if as_json:
        _print_json({"party": party_id, "destination": destination_id, "removed": True})
    else:
        _stdout.print(f"Removed destination {destination_id} of {party_id}.", markup=False)


db_app = _commands(
    "Look after the store: its schema, its check against the record, its rebuild from it."
)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Bring the store's schema up to this version of deconflict: forward only, safe to repeat.

    Servers upgrade on start too; run this first when several nodes share a database.

    Example: deconflict db upgrade --db postgresql://deconflict@db.internal/deconflict
    """
    target = Settings.from_env(db=db).db
    before, after = upgrade(target)
    if as_json:
        sys.stdout.write(json.dumps({"db": shown(target), "before": before, "after": after}) + "\n")
    elif before == after:
        _stdout.print(
            f"{shown(target)}: schema version {after}, already current.",
            markup=False,
            soft_wrap=True,
        )
    else:
        _stdout.print(
            f"{shown(target)}: schema version {before} -> {after}.", markup=False, soft_wrap=True
        )


AcceptHeadOption = Annotated[
    bool,
    typer.Option(
        "--accept-head",
        help="After an incident, accept the record as it now is: sign its head into the head file"
        " (what the file held before is printed).",
    ),
]


@db_app.command("check")
def db_check(
    db: DbOption = None, accept_head: AcceptHeadOption = False, as_json: JsonOption = False
) -> None:
    """Check the store against its record: the log, its signed head, and every row that decides a
    conflict or a notice. Exits 1 naming each entry and row that differ.

    Example: deconflict db check --db line.db
    """
    settings = Settings.from_env(db=db)
    key = _existing_log_key(settings)
    store = open_store(settings.db, key)
    try:
        head = None if key is None else HeadFile(head_path(settings.log_key_path), key)
        if accept_head and head is not None:
            _accept_head(store, head)
        report = check_store(store, head)
    finally:
        store.close()
    if as_json:
        _print_json(report_document(report))
    if report.findings:
        raise StoreInconsistent(refusal(shown(settings.db), report, shown_at_most=None))
    if not as_json:
        _stdout.print(
            consistent_line(shown(settings.db), report, head), markup=False, soft_wrap=True
        )


ToOption = Annotated[
    str,
    typer.Option(
        "--to",
        help="The new store: a SQLite file that does not exist yet, or an empty PostgreSQL"
        " database (a postgresql:// URL).",
        show_default=False,
    ),
]


@db_app.command("rebuild")
def db_rebuild(to: ToOption, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Make a new store from the record of --db: verify the record (every leaf, node and opening,
    and the head the line last signed), then make every row that decides a conflict or a notice
    from it, copy the log, and check the new store as db check does. Exits 1 when the record does
    not verify, 2 when --to holds a store already; a failed rebuild leaves nothing at --to.

    Example: deconflict db rebuild --db line.db --to line-rebuilt.db
    """
    settings = Settings.from_env(db=db)
    _refuse_as_rebuild(settings.db, to)
    key = _existing_log_key(settings)
    store = open_store(settings.db, key)
    try:
        head = None if key is None else HeadFile(head_path(settings.log_key_path), key)
        rebuilt = rebuild(store, head, to)
    finally:
        store.close()
    if as_json:
        _print_json({"db": shown(settings.db), "to": shown(to), **rebuilt.document()})
        return
    for line in rebuilt_lines(shown(settings.db), shown(to), rebuilt, head):
        _stdout.print(line, markup=False, soft_wrap=True)


def _refuse_as_rebuild(source: str | Path, target: str) -> None:
    """A rebuild reads a store that is there and makes one where there is none yet."""
    if str(source) == target:
        raise UnusableInput(f"--to names the store --db names ({shown(target)}): give a new one")
    if not is_postgres_url(source) and not Path(source).is_file():
        raise UnusableInput(f"no store at {source}: --db names the store to rebuild from")
    if not is_postgres_url(target) and not Path(target).resolve().parent.is_dir():
        raise UnusableInput(f"no folder for {target}: make it first")


def _existing_log_key(settings: Settings) -> LogKey | None:
    """The record's signing key if its file exists (None: no head was ever signed with it)."""
    path = settings.log_key_path
    if not path.exists():
        return None
    try:
        return LogKey(load_signer(settings.log_origin, path.read_bytes()), settings.log_origin)
    except (OSError, RecordError) as error:
        raise UnusableInput(f"cannot read the log key {path}: {error}") from None


def _accept_head(store: Store, head: HeadFile) -> None:
    """Sign the record's head as it is into the head file, saying what the file held before."""
    try:
        before = head.read()
        held = "no head" if before is None else head_line(before)
    except HeadUnreadable as error:
        held = str(error)
    note = store.log_checkpoint()
    head.write(note)
    now = open_checkpoint(note, [head.key.signer.verifier])
    _write_errors(
        [f"accepted the record as it is: {head.path} now holds {head_line(now)} (before: {held})"]
    )


# Talking to a running server: `serve`, `inbox`, `notify`, `respond`, `demo`.

DEFAULT_SERVER = "http://127.0.0.1:8000"
DEMO_DB = "deconflict-demo.db"

ServerOption = Annotated[
    str,
    typer.Option("--server", envvar="DECONFLICT_SERVER", help="The line's server URL."),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="DECONFLICT_TOKEN",
        show_default=False,
        help="Your API token; better in $DECONFLICT_TOKEN (a flag shows in the process list).",
    ),
]
HostOption = Annotated[
    str | None,
    typer.Option("--host", help="Listen on this address; default $DECONFLICT_HOST or 127.0.0.1."),
]
PortOption = Annotated[
    int | None,
    typer.Option("--port", help="Listen on this port; default $DECONFLICT_PORT or 8000."),
]


AllowPastOption = Annotated[
    bool,
    typer.Option(
        "--allow-past",
        help="Send activities whose whole window is already in the past (refused otherwise): "
        "a record of what happened.",
    ),
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        envvar="DECONFLICT_KEY_FILE",
        help="Sign what you send with your party's Ed25519 key (PEM; see `deconflict keygen`).",
    ),
]
LogKeyOption = Annotated[
    str | None,
    typer.Option(
        "--log-key",
        envvar="DECONFLICT_LOG_KEY_TRUSTED",
        help="The record's verifier key you trust (else the one the server shows is pinned).",
    ),
]


WitnessOption = Annotated[
    list[str] | None,
    typer.Option(
        "--witness",
        help="A witness whose cosignature you require, NAME=KEY (its witness key, or the base64 "
        "of its public key); repeat it for several, or for one witness's old and new keys.",
    ),
]
WitnessesRequiredOption = Annotated[
    int | None,
    typer.Option(
        "--witnesses-required",
        help="How many of the named witnesses must have cosigned (default: all of them).",
    ),
]


WitnessPolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--witness-policy",
        help="A policy file naming the witnesses you require, their keys and the quorum "
        "(witness, group and quorum lines, as sigsum's; instead of --witness).",
    ),
]


def _witness_policy(
    witness: list[str] | None, required: int | None, policy_file: Path | None = None
) -> WitnessPolicy | None:
    try:
        if policy_file is None:
            return WitnessPolicy.from_flags(witness or [], required)
        if witness or required is not None:
            raise UnusableInput(
                "give the witnesses with --witness-policy or with --witness and "
                "--witnesses-required, not both"
            )
        return read_witness_policy(policy_file)
    except RecordError as error:
        raise UnusableInput(_describe(error)) from None


@contextmanager
def _on_the_line(
    server: str,
    token: str | None,
    key_file: Path | None = None,
    log_key: str | None = None,
    witnesses: WitnessPolicy | None = None,
) -> Iterator[Client]:
    """A client of the server; its errors are told here with the server's words and URL."""
    if not server.startswith(("http://", "https://")):
        raise UnusableInput(f"--server must be an http:// or https:// URL, not {server!r}")
    if not token:
        raise UnusableInput("no token: give --token or set DECONFLICT_TOKEN")
    signing_key = None
    if key_file is not None:
        try:
            signing_key = load_private_key_file(key_file)
        except RecordError as error:
            raise UnusableInput(_describe(error)) from None
    try:
        with Client(
            server, token, signing_key=signing_key, log_key=log_key, witnesses=witnesses
        ) as client:
            yield client
    except NotWitnessed as error:
        raise DoesNotVerify(f"{server}: NOT WITNESSED: {error.message}") from None
    except RecordError as error:
        told = f"the server's record does not check out: {_describe(error)}"
        raise OperationalFailure(told) from None
    except ApiError as error:
        title = error.problem.get("title") or "Error"
        lines = [f"{server} answered {error.status} {title}:", *_problem_items(error)]
        raise ServerAnswered("\n".join(lines), error.status) from None
    except ServerUnreachable as error:
        raise OperationalFailure(str(error)) from None


def _problem_items(error: ApiError, feature_id: str | None = None) -> list[str]:
    """Each problem the server named, with its feature id, field and value (never a token)."""
    items = [
        DeconflictError(
            str(item.get("detail")),
            feature_id=item.get("feature_id") or feature_id,
            field=item.get("field"),
            value=item.get("value"),
        )
        for item in error.errors
    ] or [
        DeconflictError(
            error.message,
            feature_id=error.feature_id or feature_id,
            field=error.field,
            value=error.value,
        )
    ]
    lines = [f"  {_describe(item)}" for item in items]
    request_id = error.problem.get("request_id")
    if error.status >= 500 and request_id:
        lines.append(f"  request id: {request_id} (quote it to the server's operator)")
    return lines


def _print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=1, ensure_ascii=False) + "\n")


@contextmanager
def _uvicorn_exit() -> Iterator[None]:
    """uvicorn exits the process when it cannot serve; that is an operational failure."""
    try:
        yield
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise OperationalFailure("the server stopped with an error (see above)") from None


def _check_listen(host: str, port: int) -> None:
    """Fail early (exit 3) when host:port is taken, before any work is done."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise OperationalFailure(
            f"cannot listen on {host}:{port}: {error.strerror or error}\n"
            "  (another server there? --port, or DECONFLICT_PORT for make run, picks another)"
        ) from None


@app.command()
def serve(
    db: DbOption = None,
    host: HostOption = None,
    port: PortOption = None,
    skip_check: Annotated[
        bool | None,
        typer.Option(
            "--skip-check",
            help="Emergencies only: serve without checking the store against its record.",
            show_default=False,
        ),
    ] = None,
    tiles: Annotated[
        Path | None,
        typer.Option(
            "--tiles",
            help="A map tile file for the console: MBTiles or PMTiles, raster or vector.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the line's HTTP API (documented at /docs) over the store, until Ctrl-C.

    Example: deconflict serve --db line.db --port 8000 --tiles area.mbtiles
    """
    # The web stack loads only for the commands that serve, so `check` starts fast.
    import uvicorn

    from deconflict.server import create_app, quiet_server, requests_logged

    settings = Settings.from_env(
        db=db, host=host, port=port, skip_check=skip_check or None, tiles=tiles
    )
    _check_listen(settings.host, settings.port)
    url = f"http://{settings.host}:{settings.port}"
    served = create_app(settings)
    _stdout.print(
        f"Serving the line in {shown(settings.db)} at {url} (API docs: {url}/docs);"
        " Ctrl-C stops it.",
        markup=False,
    )
    _stdout.print(requests_logged(settings), markup=False, soft_wrap=True)
    tile_set = served.state.console_tiles.tile_set if settings.tiles is not None else None
    if tile_set is not None:
        _stdout.print(
            f"The console's map tiles: {tile_set.name} ({tile_set.format},"
            f" zoom {tile_set.min_zoom}-{tile_set.max_zoom}) from {settings.tiles}.",
            markup=False,
            soft_wrap=True,
        )
    with _uvicorn_exit():
        uvicorn.run(served, **quiet_server(settings))


@app.command()
def inbox(
    server: ServerOption = DEFAULT_SERVER, token: TokenOption = None, as_json: JsonOption = False
) -> None:
    """Your party's notices, overdue first, each with its deadline counting down.

    Example: deconflict inbox --server http://127.0.0.1:8000 --json
    """
    with _on_the_line(server, token) as line:
        answer = line.inbox()
    if as_json:
        _print_json(answer)
        return
    notices = answer.get("notices") or []
    if not notices:
        _stdout.print("No notices.")
        return
    _stdout.print(_inbox_table(notices, datetime.now(UTC)))


def _inbox_table(notices: list[Json], now: datetime) -> Table:
    count = len(notices)
    table = Table(title=f"{count} notice{'s' if count != 1 else ''}")
    table.add_column("Notice", justify="right", no_wrap=True)
    table.add_column("From", no_wrap=True)
    table.add_column("Priority", no_wrap=True)
    table.add_column("State")
    table.add_column("Respond by", no_wrap=True)
    table.add_column("Message", overflow="fold")
    for notice in notices:
        thread = notice.get("thread") or []
        state = notice["state"] + (f"\n({notice['response']})" if notice.get("response") else "")
        table.add_row(
            str(notice["id"]),
            escape(str(notice["sender"])),
            "[bold]PRIORITY[/]" if notice.get("priority") else "",
            escape(state),
            _deadline(notice, now),
            escape(str(thread[0].get("text", ""))) if thread else "",
        )
    return table


def _deadline(notice: Json, now: datetime) -> str:
    """The respond-by DTG and what is left of it: "in 12 min", "OVERDUE 5 min"."""
    if notice.get("respond_by") is None:
        return "information"
    due = parse_moment(notice["respond_by"])
    dtg = format_dtg(due)
    if notice.get("state") == "responded":
        return dtg
    left_s = (due - now).total_seconds()
    if notice.get("overdue") or left_s < 0:
        return f"{dtg}\n[bold red]OVERDUE {_duration(max(0.0, -left_s))}[/]"
    return f"{dtg}\nin {_duration(left_s)}"


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "<1 min"
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


@app.command()
def notify(
    plan: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE",
            help="A GeoJSON Feature or FeatureCollection (- reads standard input).",
            show_default=False,
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Instead of a file: a circle's centre (decimal, DMS or MGRS)."),
    ] = None,
    radius_m: Annotated[
        float | None, typer.Option("--radius-m", help="With --at: the circle's radius, metres.")
    ] = None,
    activity: Annotated[
        str | None,
        typer.Option("--activity", help="With --at: strike, drill, flight, convoy, patrol, ..."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="With --at: ISO 8601 with an offset, a DTG (062200ZSEP26) or now+2h.",
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--end", help="With --at: ISO 8601, DTG or now+8h; omit for open-ended."),
    ] = None,
    feature_id: Annotated[
        str | None, typer.Option("--id", help="With --at: the activity's id (default: a new one).")
    ] = None,
    server: ServerOption = DEFAULT_SERVER,
    token: TokenOption = None,
    key_file: KeyFileOption = None,
    allow_past: AllowPastOption = False,
    as_json: JsonOption = False,
) -> None:
    """Send zones and activities to the line; print their conflicts and the notices sent.

    Each Feature goes as a zone or an activity by its `kind`; features of other
    parties (their `party`) are skipped and listed, since each party sends its
    own; nothing is sent unless every feature is valid. Exit status: 0 no
    conflict, 1 conflicts found, 2 invalid input (each problem named with its
    feature id and field).

    Example: deconflict notify --at "37S DT 93507 20025" --radius-m 1000 --start now+2h
    """
    circle = {
        "--radius-m": radius_m,
        "--activity": activity,
        "--start": start,
        "--end": end,
        "--id": feature_id,
    }
    if (plan is None) == (at is None):
        raise UnusableInput(
            "give FILE (a GeoJSON Feature or FeatureCollection) or --at, not both"
            if at
            else "give FILE (a GeoJSON Feature or FeatureCollection) or --at POSITION"
        )
    if plan is not None:
        given = [name for name, value in circle.items() if value is not None]
        if given:
            raise UnusableInput(f"{', '.join(given)} go with --at, not with a FILE")
        features = _features_in(plan)
    else:
        features = [_circle(str(at), radius_m, activity, start, end, feature_id)]
    features = _with_valid_ids(features)
    with _on_the_line(server, token, key_file) as line:
        party = str(line.me()["party"])
        features, skipped = _own_features(features, party)
        if not features:
            raise UnusableInput(_skipped_note(skipped, party, nothing_left=True))
        _dry_run_all(line, features, allow_past)
        answers = [_declare(line, feature, allow_past) for feature in features]
    if as_json:
        _print_json({"declared": answers, "skipped": skipped})
    else:
        if skipped:
            _stdout.print(_skipped_note(skipped, party), markup=False)
        for answer in answers:
            _print_declared(answer)
            _print_receipt(answer)
    conflicts = any(answer.get("conflicts") for answer in answers)
    raise typer.Exit(int(Exit.CONFLICTS if conflicts else Exit.OK))


def _circle(
    at: str,
    radius_m: float | None,
    activity: str | None,
    start: str | None,
    end: str | None,
    feature_id: str | None,
) -> Json:
    """The activity the --at options describe, as a GeoJSON Feature."""
    try:
        where = parse_position(at)
    except InvalidCoordinate as error:
        raise UnusableInput(f"--at: {error.message}") from None
    if radius_m is None:
        raise UnusableInput("--at needs --radius-m: the circle's radius in metres")
    if start is None:
        raise UnusableInput("--at needs --start: ISO 8601 with an offset, or a DTG")
    properties: Json = {
        "kind": "activity",
        "radius_m": radius_m,
        "start": _moment("--start", start),
        "end": _moment("--end", end) if end is not None else None,
    }
    if activity is not None:
        properties["activity"] = activity
    return {
        "type": "Feature",
        "id": feature_id or f"{activity or 'activity'}-{uuid.uuid4().hex[:8]}",
        "geometry": {"type": "Point", "coordinates": [where.lon_deg, where.lat_deg]},
        "properties": properties,
    }


def _moment(option: str, text: str) -> str:
    try:
        return format_time(parse_moment(text, datetime.now(UTC)))
    except InvalidFeature as error:
        raise UnusableInput(f"{option}: {error.message}") from None


def _features_in(path: Path) -> list[Json]:
    """The Features of a file: one Feature, or those of a FeatureCollection."""
    document = _read_json(path)
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "Feature":
        return [document]
    if kind == "FeatureCollection" and isinstance(document.get("features"), list):
        features = document["features"]
        odd = [f"#{i}" for i, feature in enumerate(features) if not isinstance(feature, dict)]
        if odd:
            raise UnusableInput(f"{path}: {', '.join(odd)}: must be a GeoJSON Feature object")
        return list(features)
    raise UnusableInput(
        f"{path}: field 'type': expected a GeoJSON Feature or FeatureCollection "
        f"(value: {json.dumps(kind)})"
    )


def _with_valid_ids(features: list[Json]) -> list[Json]:
    """The features with their ids in NFC form; UnusableInput naming every id that breaks the
    id syntax, before anything is sent (a lone surrogate could not even be sent)."""
    checked, problems = [], []
    for feature in features:
        feature_id = feature.get("id")
        try:
            normal = read_id(feature_id) if isinstance(feature_id, str) else feature_id
        except InvalidFeature as problem:
            problems.append(problem)
            continue
        checked.append({**feature, "id": normal})
    if problems:
        lines = [f"{InvalidPlan(problems)}:", *(f"  {_describe(p)}" for p in problems)]
        raise UnusableInput("\n".join(lines))
    return checked


def _own_features(features: list[Json], party: str) -> tuple[list[Json], list[Json]]:
    """The features `party` may send (its own, or naming no party), and the others as
    {"id", "party"}: a plan may describe every party's features, a party sends only its own."""
    own, others = [], []
    for feature in features:
        properties = feature.get("properties")
        owner = properties.get("party") if isinstance(properties, dict) else None
        if isinstance(owner, str) and owner != party:
            others.append({"id": feature.get("id"), "party": owner})
        else:
            own.append(feature)
    return own, others


def _skipped_note(skipped: list[Json], party: str, nothing_left: bool = False) -> str:
    count = len(skipped)
    listed = ", ".join(f"{s['id']} ({s['party']})" for s in skipped)
    if nothing_left:
        return (
            "nothing to send: every feature belongs to another party, "
            f"and you send as {party}: {listed}"
        )
    return (
        f"Skipped {count} feature{'s' if count != 1 else ''} of other parties "
        f"(you send as {party}; each party sends its own): {listed}."
    )


def _dry_run_all(line: Client, features: list[Json], allow_past: bool) -> None:
    """Have the server read every feature first, so an invalid one means nothing is sent (a
    validation only: not checked against the line, so never a probe of a hidden zone)."""
    problems: list[str] = []
    for position, feature in enumerate(features):
        label = feature.get("id") if isinstance(feature, dict) else None
        try:
            line.check(feature, allow_past=allow_past, validate_only=True)
        except ApiError as error:
            if error.status >= 500:
                raise
            problems.extend(_problem_items(error, str(label or f"#{position}")))
    if problems:
        count = len(problems)
        lines = [f"nothing sent: {count} problem{'s' if count != 1 else ''}:", *problems]
        raise UnusableInput("\n".join(lines))


def _declare(line: Client, feature: Json, allow_past: bool) -> Json:
    properties = feature.get("properties")
    if isinstance(properties, dict) and properties.get("kind") == "zone":
        return line.declare_zone(feature, share=str(properties.get("share", "shape")))
    return line.notify(feature, allow_past=allow_past)


def _print_receipt(answer: Json) -> None:
    receipt = answer.get("receipt")
    if isinstance(receipt, dict) and "checkpoint" in receipt:
        _stdout.print(
            f"  recorded as entry {receipt['leaf_index']} of {receipt['tree_size']}; "
            "receipt verified against the signed checkpoint"
        )


def _print_declared(answer: Json) -> None:
    feature = answer["feature"]
    properties = feature["properties"]
    conflicts = answer.get("conflicts") or []
    kind = properties.get("activity") or properties["kind"]
    label = f"{feature['id']} ({kind}, version {properties['version']})"
    found = len(conflicts)
    outcome = (
        f"[bold red]{found} conflict{'s' if found != 1 else ''}[/]" if found else "no conflict"
    )
    _stdout.print(f"{escape(label)}: {outcome}.")
    if conflicts:
        _stdout.print(_line_conflict_table(conflicts))
    for notice in answer.get("notices") or []:
        due = notice.get("respond_by")
        _stdout.print(
            f"  notice #{notice['id']} to {escape(str(notice['recipient']))}"
            + (" [bold](PRIORITY)[/]" if notice.get("priority") else "")
            + (f", respond by {format_dtg(parse_moment(due))}" if due else "")
        )


def _line_conflict_table(conflicts: list[Json]) -> Table:
    """Conflicts as the server reports them to this party (a withheld zone shows only a contact)."""
    table = Table()
    table.add_column("When (UTC)", no_wrap=True)
    table.add_column("Feature")
    table.add_column("Against")
    table.add_column("Distance", justify="right", no_wrap=True)
    for conflict in conflicts:
        end = conflict.get("end")
        if "against" in conflict:
            against = f"{conflict['against']} ({conflict['party']})"
        else:
            against = (
                f"a zone of {conflict['party']}, shape withheld; contact: {conflict.get('contact')}"
            )
        start = conflict.get("start")
        table.add_row(
            _when(parse_moment(start), parse_moment(end) if end else None)
            if start
            else "(withheld)",
            escape(str(conflict.get("feature"))),
            escape(against),
            _distance(conflict.get("distance_m")),
        )
    return table


class Answer(StrEnum):
    """What a duty officer answers to a notice, as typed."""

    ACKNOWLEDGE = "acknowledge"
    OBJECT = "object"
    CLARIFY = "clarify"


_RESPONSES = {
    Answer.ACKNOWLEDGE: ResponseKind.ACKNOWLEDGED,
    Answer.OBJECT: ResponseKind.OBJECTION,
    Answer.CLARIFY: ResponseKind.CLARIFICATION,
}
# What was recorded, as the duty officer is told.
_RECORDED = {
    Answer.ACKNOWLEDGE: "Acknowledgement",
    Answer.OBJECT: "Objection",
    Answer.CLARIFY: "Request for clarification",
}


@app.command()
def respond(
    notice_id: Annotated[int, typer.Argument(help="The notice's number (see `deconflict inbox`).")],
    answer: Annotated[Answer, typer.Argument(help="acknowledge, object or clarify.")],
    reason: Annotated[
        ObjectionReason | None,
        typer.Option("--reason", help="Why you object (required with object)."),
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Free text, carried untranslated alongside.")
    ] = None,
    server: ServerOption = DEFAULT_SERVER,
    token: TokenOption = None,
    key_file: KeyFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a notice addressed to you: acknowledge it, object to it, or ask to clarify it.

    Example: deconflict respond 4 object --reason forces_present --text "Our advisers are there"
    """
    with _on_the_line(server, token, key_file) as line:
        result = line.respond(
            notice_id, _RESPONSES[answer].value, reason.value if reason else None, text
        )
    if as_json:
        _print_json(result)
        return
    notice = result["notice"]
    receipt = result.get("receipt")
    entry = f" (entry {receipt['leaf_index']})" if isinstance(receipt, dict) else ""
    _stdout.print(f"{_RECORDED[answer]} recorded on notice {notice['id']}{entry}.")
    for message in (notice.get("thread") or [])[-1:]:
        _stdout.print(f"  {escape(str(message.get('text')))}")
        if message.get("free_text"):
            _stdout.print(f"  {escape(str(message['free_text']))}")


@app.command()
def demo(
    keep: Annotated[
        Path | None,
        typer.Option(
            "--keep",
            file_okay=False,
            help=f"Keep the demo line in DIR as {DEMO_DB} (an earlier one there is replaced).",
        ),
    ] = None,
    serve_after: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Afterwards, serve the line (normal deadlines) on --host/--port until Ctrl-C, "
            "printing each party's token.",
        ),
    ] = False,
    host: HostOption = None,
    port: PortOption = None,
    escalate_to: Annotated[
        list[str] | None,
        typer.Option(
            "--escalate-to",
            help="Send the aid agency's overdue notice beyond the line to this e-mail address "
            "(through the DECONFLICT_SMTP_* mail server) or webhook URL; repeatable.",
        ),
    ] = None,
) -> None:
    """Run the At Tanf story end to end through the real API, told as it happens.

    Example: deconflict demo --keep . --serve
    """
    from deconflict.demo import run_demo  # loads the web stack; see `serve`

    settings = Settings.from_env(host=host, port=port)
    if serve_after:
        _check_listen(settings.host, settings.port)
    db = None
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        db = keep / DEMO_DB
        for stale in keep.glob(f"{DEMO_DB}*"):  # the store, its WAL files, its log key
            stale.unlink()
    with _uvicorn_exit():
        run_demo(
            serve_after,
            db,
            host=settings.host,
            port=settings.port,
            console=_stdout,
            escalate_to=escalate_to or (),
            base=settings,
        )
    if db is not None:
        _stdout.print(f"The demo line is kept in {db}.", markup=False)
        _stdout.print(f"Serve it: deconflict serve --db {db}", markup=False, soft_wrap=True)
        _stdout.print(
            f"A token: deconflict party token coalition --db {db}", markup=False, soft_wrap=True
        )


@app.command()
def keygen(
    out: Annotated[Path, typer.Option("--out", help="Where to write the private key (PEM).")],
    register: Annotated[
        bool,
        typer.Option("--register", help="Also register its public key with the line."),
    ] = False,
    server: ServerOption = DEFAULT_SERVER,
    token: TokenOption = None,
) -> None:
    """Make your party's signing key: a private key file (mode 0600) and its public key.

    Example: deconflict keygen --out russia.pem --register
    """
    if out.exists():
        raise UnusableInput(f"{out} exists; refusing to overwrite a key")
    private_key, public_b64 = generate_party_key()
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_key_pem(private_key))
    _stdout.print(f"Private key written to {out} (keep it secret). Public key:", markup=False)
    _stdout.print(public_b64, markup=False)
    if register:
        with _on_the_line(server, token) as line:
            line.register_key(public_b64)
        _stdout.print("Registered with the line: your signed writes are checked against it.")


log_app = _commands("The record: export it, save its checkpoint.")
app.add_typer(log_app, name="log")


@log_app.command("export")
def log_export(
    out: Annotated[Path, typer.Option("--out", help="The bundle folder to write.")],
    server: ServerOption = DEFAULT_SERVER,
    token: TokenOption = None,
    log_key: LogKeyOption = None,
    witness: WitnessOption = None,
    witnesses_required: WitnessesRequiredOption = None,
    witness_policy: WitnessPolicyOption = None,
) -> None:
    """Download the whole record as a bundle that `deconflict verify` checks offline; with
    `--witness`, at a checkpoint those witnesses cosigned (waiting up to 10 s for one).

    Example: deconflict log export --out record-2026-09-07
    """
    policy = _witness_policy(witness, witnesses_required, witness_policy)
    with _on_the_line(server, token, log_key=log_key, witnesses=policy) as line:
        count = line.export(out)
    _stdout.print(
        f"Exported {count} entries to {out}. Check them: deconflict verify {out}", markup=False
    )


@log_app.command("checkpoint")
def log_checkpoint(
    out: Annotated[Path | None, typer.Option("--out", help="Save the signed note here.")] = None,
    server: ServerOption = DEFAULT_SERVER,
    token: TokenOption = None,
    log_key: LogKeyOption = None,
    witness: WitnessOption = None,
    witnesses_required: WitnessesRequiredOption = None,
    witness_policy: WitnessPolicyOption = None,
) -> None:
    """Fetch the record's signed checkpoint (save it: a later bundle must extend it); with
    `--witness`, only once those witnesses cosigned it (exit 1 if none is within 10 s).

    Example: deconflict log checkpoint --out saved.note --witness "w.example/c=$W_KEY"
    """
    policy = _witness_policy(witness, witnesses_required, witness_policy)
    with _on_the_line(server, token, log_key=log_key, witnesses=policy) as line:
        note = line.checkpoint() if policy is None else line.witnessed_checkpoint().note
    if out is None:
        sys.stdout.write(note)
    else:
        out.write_text(note, encoding="utf-8")
        _stdout.print(f"Checkpoint saved to {out}.", markup=False)


witness_app = _commands(
    "Your party's witness of the line's record: it cosigns only consistent checkpoints."
)
app.add_typer(witness_app, name="witness")

WitnessNameOption = Annotated[
    str,
    typer.Option(
        "--name", help="The witness's name, e.g. coalition.example/witness (no spaces, no +)."
    ),
]


@witness_app.command("key")
def witness_key(
    name: WitnessNameOption,
    out: Annotated[Path, typer.Option("--out", help="Where to write the private key (PEM).")],
) -> None:
    """Make a witness's key: a private key file (mode 0600) and the verifier key to hand to
    the parties that require this witness.

    Example: deconflict witness key --name coalition.example/witness --out witness.pem
    """
    if out.exists():
        raise UnusableInput(f"{out} exists; refusing to overwrite a key")
    try:
        cosigner = Cosigner(name, generate_private_key())
    except RecordError as error:
        raise UnusableInput(_describe(error)) from None
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_key_pem(cosigner.private_key))
    _stdout.print(f"Private key written to {out} (keep it secret). Witness key:", markup=False)
    _stdout.print(cosigner.verifier.to_text(), markup=False, soft_wrap=True)


@witness_app.command("serve")
def witness_serve(
    name: WitnessNameOption,
    key: Annotated[Path, typer.Option("--key", help="The witness's private key (PEM).")],
    log_keys: Annotated[
        list[str],
        typer.Option(
            "--log-key",
            help="The verifier key of the line's record (`GET /v1/log/key`); repeat it while "
            "the line changes its key.",
        ),
    ],
    state: Annotated[
        Path,
        typer.Option("--state", help="The file that holds the latest checkpoint cosigned."),
    ] = Path("witness-state.json"),
    origin: Annotated[
        str | None,
        typer.Option("--origin", help="The log's origin line (default: the log key's name)."),
    ] = None,
    host: HostOption = None,
    port: PortOption = None,
) -> None:
    """Run a witness (C2SP tlog-witness) of the line's record, on your party's side: the line
    sends it each new checkpoint with a consistency proof (`POST /add-checkpoint`), and it
    cosigns only those consistent with the last one it cosigned.

    Example: deconflict witness serve --name w.example/c --key w.pem --log-key "$KEY" --port 8700
    """
    import uvicorn

    from deconflict.api.witness_app import create_witness_app

    try:
        cosigner = Cosigner(name, load_private_key_file(key))
        verifiers = [NoteVerifier.from_text(text) for text in log_keys]
    except RecordError as error:
        raise UnusableInput(_describe(error)) from None
    logs = {origin or verifiers[0].name: verifiers}
    witness = Witness(cosigner, logs, WitnessStateFile(state), lambda: int(time.time()))
    settings = Settings.from_env(host=host, port=port)
    _check_listen(settings.host, settings.port)
    _stdout.print(
        f"Witnessing {', '.join(logs)} at http://{settings.host}:{settings.port} as "
        f"{cosigner.verifier.to_text()}; state in {state}. Ctrl-C stops it.",
        markup=False,
        soft_wrap=True,
    )
    with _uvicorn_exit():
        app = create_witness_app(witness)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


@app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(help="A bundle from `deconflict log export`.")],
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="An older signed checkpoint the record must extend."),
    ] = None,
    server_key: Annotated[
        str | None,
        typer.Option("--server-key", help="The record's verifier key you trust (name+hash+key)."),
    ] = None,
    canonical: Annotated[
        bool,
        typer.Option("--canonical", help="Also re-canonicalise every entry (RFC 8785); slower."),
    ] = False,
    witness: WitnessOption = None,
    witnesses_required: WitnessesRequiredOption = None,
    witness_policy: WitnessPolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a record bundle offline: every leaf, the root, every signature and opening, the
    history; with `--witness`, the cosignatures of the witnesses you require.

    Exit status: 0 it verifies, 1 it does not (the first entry at fault is named, or the
    witnesses missing), 2 the bundle, checkpoint or a witness flag cannot be read.

    Example: deconflict verify record-2026-09-07 --checkpoint saved.note --server-key "$KEY"
    """
    older = None
    if checkpoint is not None:
        try:
            older = checkpoint.read_text(encoding="utf-8")
        except OSError as error:
            raise UnusableInput(
                f"{checkpoint}: cannot read the checkpoint: {error.strerror}"
            ) from None
    if not bundle.is_dir():
        raise UnusableInput(f"{bundle}: not a bundle folder")
    policy = _witness_policy(witness, witnesses_required, witness_policy)
    try:
        verified = verify_bundle(
            bundle, server_key, older, every_entry_canonical=canonical, witnesses=policy
        )
    except BundleInvalid as error:
        raise DoesNotVerify(f"{bundle}: DOES NOT VERIFY: {error.message}") from None
    cosigned = _cosigned_by(policy, verified.witnessed)
    summary = {
        "entries": verified.size,
        "root": verified.root_hash.hex(),
        "origin": verified.origin,
        "party_signatures": verified.signatures_checked,
        "sealed_entries": verified.sealed,
        "opened_entries": verified.opened,
        "extends_checkpoint_of_size": verified.older_size,
        "witnesses": cosigned,
        "warnings": verified.warnings,
    }
    if as_json:
        _print_json(summary)
        return
    _stdout.print(
        f"{bundle}: verified {verified.size} entries of {verified.origin}, root "
        f"{verified.root_hash.hex()[:16]}..., {verified.signatures_checked} party signatures",
        markup=False,
    )
    if verified.sealed:
        _stdout.print(
            f"{verified.sealed} entries are sealed; this bundle opens {verified.opened} of them "
            "(each opening matches its commitment). The rest belong to other parties.",
            markup=False,
        )
    if verified.older_size is not None:
        _stdout.print(f"It extends the saved checkpoint of {verified.older_size} entries.")
    if policy is not None:
        _stdout.print(
            f"Its checkpoint is cosigned by {len(verified.witnessed)} of the "
            f"{len(policy.names)} witnesses named ({policy.required} required):",
            markup=False,
        )
        for name, found in cosigned.items():
            told = f"cosigned at {found['at']}" if found["cosigned"] else "no valid cosignature"
            _stdout.print(f"  {name}: {told}", markup=False)
    for warning in verified.warnings:
        _stdout.print(f"warning: {warning}", markup=False)


def _cosigned_by(policy: WitnessPolicy | None, found: dict[str, int]) -> dict[str, Any]:
    """Each witness the policy names: whether a valid cosignature over the checkpoint was
    found, and when it was made (unix seconds and ISO 8601 UTC; None when not found)."""
    said: dict[str, Any] = {}
    for name in [] if policy is None else policy.names:
        timestamp = found.get(name)
        said[name] = {
            "cosigned": timestamp is not None,
            "timestamp": timestamp,
            "at": None
            if timestamp is None
            else datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z"),
        }
    return said


class FileFormat(StrEnum):
    GEOJSON = "geojson"
    KML = "kml"
    CSV = "csv"
    COT = "cot"
    ACO = "aco"


class ExportFormat(StrEnum):
    GEOJSON = "geojson"
    KML = "kml"
    CSV = "csv"
    COT = "cot"
    ACO = "aco"
    NOTAM = "notam"


# A --partial import goes in batches of at most this many features, each stored as it
# arrives, and of at most the line's vertices per request (halved on each 413 until the
# server takes them).
_IMPORT_BATCH = 250


class _NoticeOrVerify(TyperGroup):
    """`deconflict evidence NOTICE ...` is `deconflict evidence export NOTICE ...`."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:  # ctx: typer's click Context
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["export", *args]
        return super().resolve_command(ctx, args)


evidence_app = typer.Typer(
    cls=_NoticeOrVerify,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="Evidence of a notice's thread for an arbiter: export it, verify it offline.",
)
app.add_typer(evidence_app, name="evidence")


@evidence_app.command("export")
def evidence_export(
    notice_id: Annotated[int, typer.Argument(metavar="NOTICE", help="The notice's number.")],
    out: Annotated[Path, typer.Option("--out", help="The evidence file to write (JSON).")],
    server: ServerOption = DEFAULT_SERVER,
    token: TokenOption = None,
    log_key: LogKeyOption = None,
    witness: WitnessOption = None,
    witnesses_required: WitnessesRequiredOption = None,
    witness_policy: WitnessPolicyOption = None,
) -> None:
    """Write one file that proves a notice's thread to a third party (`deconflict evidence NOTICE
    --out FILE` says the same): its entries of the record, each with its inclusion proof, the
    signed checkpoint (with `--witness`, once those witnesses cosigned it) and your openings.
    It is verified with the log key before it is written.

    Example: deconflict evidence 4 --out notice-4.evidence.json
    """
    policy = _witness_policy(witness, witnesses_required, witness_policy)
    with _on_the_line(server, token, log_key=log_key, witnesses=policy) as line:
        document = line.evidence(notice_id)
    try:
        out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as error:
        raise UnusableInput(f"{out}: cannot write the evidence: {error.strerror}") from None
    _stdout.print(
        f"Evidence of notice {notice_id}: {len(document['entries'])} entries written to {out}. "
        f"Check it: deconflict evidence verify {out} --log-key KEY",
        markup=False,
    )


class Language(StrEnum):
    EN = "en"
    RU = "ru"
    AR = "ar"


@evidence_app.command("verify")
def evidence_verify(
    file: Annotated[Path, typer.Argument(help="An evidence file from `deconflict evidence`.")],
    log_key: Annotated[
        str,
        typer.Option("--log-key", help="The record's verifier key you trust (name+hash+key)."),
    ],
    witness: WitnessOption = None,
    witnesses_required: WitnessesRequiredOption = None,
    witness_policy: WitnessPolicyOption = None,
    lang: Annotated[
        Language, typer.Option("--lang", help="The timeline's language: en, ru or ar.")
    ] = Language.EN,
) -> None:
    """Check an evidence file offline with nothing but the keys, and print the notice's thread
    as a timeline: every inclusion proof against the checkpoint, its signature (and the
    cosignatures `--witness` requires), every opening and party signature, every entry of
    the thread.

    Exit status: 0 it verifies, 1 it does not (the first entry at fault is named, and why),
    2 the file, the key or a flag cannot be read.

    Example: deconflict evidence verify notice-4.evidence.json --log-key "$LOG_KEY" --lang ru
    """
    policy = _witness_policy(witness, witnesses_required, witness_policy)
    try:
        verifier = NoteVerifier.from_text(log_key)
        evidence = read_evidence(_read_text(file, "the evidence file"))
    except RecordError as error:
        raise UnusableInput(f"{file}: {_describe(error)}") from None
    try:
        thread = verify_evidence(evidence, verifier, policy)
    except BundleInvalid as error:
        raise DoesNotVerify(f"{file}: DOES NOT VERIFY: {error.message}") from None
    _print_timeline(thread, lang.value)


def _print_timeline(thread: ProvenThread, language: str) -> None:
    said = timeline.words(language)
    names = thread.names
    recipients = {
        view.get("notice"): view.get("recipient")
        for _, view in thread.entries
        if view.get("kind") == "notice"
    }
    table = Table(title=said["title"].format(notice=thread.notice), title_justify="left")
    for heading in ("index", "dtg", "iso", "who", "what"):
        table.add_column(said[heading], overflow="fold", no_wrap=heading in ("dtg", "iso"))
    for index, view in thread.entries:
        who, what = timeline.describe(view, names, recipients, language)
        at = str(view.get("at", ""))
        table.add_row(str(index), _dtg_of(at), at, escape(who), escape(what))
    # Into a file or a pipe, a row stays on one line whatever its length: an arbiter greps it.
    console = _stdout if _stdout.is_terminal else Console(highlight=False, width=_UNWRAPPED)
    console.print(table)
    checkpoint = thread.checkpoint
    lines = [
        said["proven"].format(
            count=len(thread.entries),
            origin=checkpoint.origin,
            size=checkpoint.size,
            root=checkpoint.root_hash.hex()[:16] + "…",
            signatures=thread.signatures_checked,
        ),
        said["cosigned"].format(names=", ".join(sorted(thread.witnessed)))
        if thread.witnessed
        else said["not_cosigned"],
        said["exported_by"].format(party=names.get(thread.exported_by, thread.exported_by)),
        timeline.NOT_EVIDENCED[language],
    ]
    for line in lines:
        _stdout.print(line, markup=False)


_UNWRAPPED = 100_000


def _dtg_of(at: str) -> str:
    try:
        return format_dtg(datetime.fromisoformat(at))
    except ValueError:  # an entry without an aware time: shown as it is, in the ISO column
        return ""


@app.command("import")
def import_file(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="GeoJSON, KML, site CSV, CoT XML or a USMTF ACO (- reads standard input).",
        ),
    ],
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="The file's format (default: from its name or content)."),
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="zone or activity, for items the file does not say.")
    ] = "zone",
    start: Annotated[
        str | None,
        typer.Option(
            "--start", help="For items without a time: ISO 8601, DTG or now+1h (default now)."
        ),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="For items without an end (default open-ended).")
    ] = None,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial", help="Store every good item and skip the rest (default: all or nothing)."
        ),
    ] = False,
    server: ServerOption = DEFAULT_SERVER,
    token: TokenOption = None,
    key_file: KeyFileOption = None,
    allow_past: AllowPastOption = False,
    as_json: JsonOption = False,
) -> None:
    """Declare every zone and activity in a file, as your party, in one step.

    All or nothing: one bad item (named with its line or row and every problem)
    means nothing is stored, unless --partial. Ends with a summary: imported,
    skipped with reasons, conflicts found, notices sent. Exit status: 0 no
    conflict, 1 conflicts found, 2 invalid input, 3 failure.

    Example: deconflict import hospitals.csv --start 010600ZDEC26
    """
    from deconflict.formats import Defaults
    from deconflict.formats.registry import READERS, format_of

    text = _read_text(path)
    try:
        chosen = file_format.value if file_format else format_of(path, text)
    except ValueError as error:
        raise UnusableInput(str(error)) from None
    try:
        default_kind = Kind(kind)
    except ValueError:
        raise UnusableInput(f"--kind must be zone or activity, not {kind!r}") from None
    begins = parse_moment(_moment("--start", start)) if start else datetime.now(UTC)
    ends = parse_moment(_moment("--end", end)) if end else None
    with _on_the_line(server, token, key_file) as line:
        party = str(line.me()["party"])
        defaults = Defaults(party, begins, default_kind, ends)
        try:
            reading = READERS[chosen](text, defaults)
        except InvalidPlan as error:
            raise UnusableInput(
                "\n".join(f"{path}: {_describe(p)}" for p in error.problems)
            ) from None
        skipped = [_skipped_line(path, r) for r in reading.rejected]
        skipped += [
            f"  {path.name} line {n} ({f.id}): belongs to {f.party!r}; you import as {party!r}"
            for f, n in zip(reading.features, reading.lines, strict=True)
            if f.party != party
        ]
        keep = [i for i, f in enumerate(reading.features) if f.party == party]
        reading = replace(
            reading,
            features=tuple(reading.features[i] for i in keep),
            lines=tuple(reading.lines[i] for i in keep),
        )
        if skipped and not partial:
            count = len(skipped)
            lines = [
                f"nothing imported: {count} item{'s' if count != 1 else ''} refused "
                "(--partial imports the rest):",
                *skipped,
            ]
            raise UnusableInput("\n".join(lines))
        documents = [feature_to_geojson(f) for f in reading.features]
        answer = _send_import(line, documents, partial, allow_past)
    where = {f.id: n for f, n in zip(reading.features, reading.lines, strict=True)}
    for refused in answer["refused"]:
        line_no = where.get(str(refused.get("id")), refused["index"] + 1)
        skipped.append(f"  line {line_no} ({refused.get('id')}): {'; '.join(refused['errors'])}")
    _print_import_summary(answer, skipped, chosen, as_json)
    conflicts = sum(int(item["conflicts"]) for item in answer["imported"])
    raise typer.Exit(int(Exit.CONFLICTS if conflicts else Exit.OK))


def _read_text(path: Path, what: str = "the file") -> str:
    """A file's UTF-8 text (`-` reads standard input; a byte-order mark is dropped); exit 2
    when it cannot be read."""
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as error:
        raise UnusableInput(f"{path}: cannot read {what}: {error.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnusableInput(f"{path}: not UTF-8 text (byte {error.start})") from None


def _skipped_line(path: Path, rejected: Any) -> str:
    label = f" ({rejected.item})" if rejected.item else ""
    problems = "; ".join(_describe(p) for p in rejected.problems)
    return f"  {path.name} line {rejected.line}{label}: {problems}"


def _send_import(line: Client, documents: list[Json], partial: bool, allow_past: bool) -> Json:
    """Everything in one request (all or nothing), or batches when --partial, with progress."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        if not partial:
            task = progress.add_task(
                f"storing {len(documents)} features, all or nothing", total=len(documents)
            )
            answer = line.import_features(documents, allow_past=allow_past)
            progress.update(task, completed=len(documents))
            return answer
        task = progress.add_task("storing features", total=len(documents))
        merged: Json = {"imported": [], "refused": []}
        vertices = [count_positions(d.get("geometry")) for d in documents]
        budget = Settings().max_vertices_per_request  # the default; a 413 says it is lower
        most, first = _IMPORT_BATCH, 0
        while first < len(documents):
            end = _batch_end(vertices, first, most, budget)
            try:
                answer = line.import_features(
                    documents[first:end], partial=True, allow_past=allow_past
                )
            except ApiError as error:
                # Refused whole (over a limit of the server's): nothing of it was stored.
                if error.status != 413 or end - first == 1:
                    raise
                most = max(1, (end - first) // 2)
                budget = max(1, min(budget, sum(vertices[first:end])) // 2)
                continue
            merged["imported"] += answer["imported"]
            merged["refused"] += [{**r, "index": r["index"] + first} for r in answer["refused"]]
            progress.update(task, advance=end - first)
            first = end
        return merged


def _batch_end(vertices: list[int], first: int, most: int, budget: int) -> int:
    """Where the batch from `first` ends: at most `most` features and `budget` vertices in
    all, and always at least one feature."""
    end, total = first, 0
    while end < len(vertices) and end - first < most:
        if end > first and total + vertices[end] > budget:
            break
        total += vertices[end]
        end += 1
    return end


def _print_import_summary(answer: Json, skipped: list[str], chosen: str, as_json: bool) -> None:
    imported = answer["imported"]
    conflicts = sum(int(item["conflicts"]) for item in imported)
    notices = sum(int(item["notices"]) for item in imported)
    if as_json:
        _print_json({**answer, "skipped": skipped, "format": chosen})
        return
    table = Table(title=f"Import ({chosen})", show_header=False)
    table.add_row("imported", str(len(imported)))
    table.add_row("skipped", str(len(skipped)))
    table.add_row("conflicts found", f"[bold red]{conflicts}[/]" if conflicts else "0")
    table.add_row("notices sent", str(notices))
    _stdout.print(table)
    for reason in skipped:
        _stdout.print(f"skipped: {reason.strip()}", markup=False)
    for item in imported:
        if item["conflicts"]:
            _stdout.print(
                f"  {item['id']}: {item['conflicts']} conflict(s), {item['notices']} notice(s)",
                markup=False,
            )


@app.command()
def export(
    file_format: Annotated[
        ExportFormat, typer.Option("--format", help="What to write.")
    ] = ExportFormat.GEOJSON,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write here instead of standard output.")
    ] = None,
    ended: Annotated[
        bool, typer.Option("--ended", help="Include features whose last occurrence has ended.")
    ] = False,
    server: ServerOption = DEFAULT_SERVER,
    token: TokenOption = None,
) -> None:
    """Write what you may see on the line (yours, activities, shared zones) in a format.

    KML for Google Earth, site CSV, CoT XML for TAK, a USMTF ACO, NOTAM-style
    text (activities), or GeoJSON (what `deconflict check` reads).

    Example: deconflict export --format kml --out line.kml
    """
    with _on_the_line(server, token) as line:
        text = line.exported(file_format.value, ended=ended)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        _stdout.print(f"written to {out} ({file_format.value}, {len(text.encode()):,} bytes)")


@app.command()
def notam(
    feature_id: Annotated[str, typer.Argument(metavar="ID", help="The activity's id.")],
    fir: Annotated[str, typer.Option("--fir", help="The FIR's ICAO code for Q) and A).")] = "XXXX",
    number: Annotated[
        str | None, typer.Option("--number", help="The NOTAM's series and number (A0001/26).")
    ] = None,
    party: Annotated[
        str | None,
        typer.Option(
            "--party",
            help="Whose activity (ids are per party); default: yours, else the one you may see.",
        ),
    ] = None,
    server: ServerOption = DEFAULT_SERVER,
    token: TokenOption = None,
) -> None:
    """Print an activity as NOTAM-style text (Q-line and items A-G), for briefing pilots.

    Example: deconflict notam strike-1 --party russia --fir OSTT --number A0042/26
    """
    with _on_the_line(server, token) as line:
        sys.stdout.write(line.notam(feature_id, fir=fir, number=number, party=party))


def main() -> None:
    """Entry point: anything else that escapes a command is an operational failure (exit 3).

    Outside the command, so it exits itself (typer.Exit needs a command around
    it): one line on stderr, never a traceback.
    """
    try:
        app()
    except Exception as error:
        _write_errors([f"operational failure: {type(error).__name__}: {error}"])
        sys.exit(int(Exit.FAILURE))
