"""The `deconflict` command line: a thin skin over the library.

Exit codes: 0 ok, 1 conflicts found, 2 bad input, 3 operational failure.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from enum import IntEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from deconflict.errors import DeconflictError, InvalidPlan
from deconflict.geo.coords import InvalidCoordinate, format_dms, format_mgrs, parse_position
from deconflict.line.check import check_plan
from deconflict.line.parties import Party, Role, issue_token, register_party, revoke
from deconflict.rules.conflicts import Conflict
from deconflict.rules.feature import Feature
from deconflict.rules.plan import format_time, parse_plan
from deconflict.settings import Settings
from deconflict.store.sqlite import SqliteStore

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="deconflict: declare what you protect, notify what you plan, see every clash.",
)


class Exit(IntEnum):
    OK = 0
    CONFLICTS = 1
    BAD_INPUT = 2
    FAILURE = 3


_stdout = Console(highlight=False)


def _fail(code: Exit, lines: list[str]) -> NoReturn:
    # Plain writes: an error line must never be wrapped or restyled.
    sys.stderr.write("".join(f"{line}\n" for line in lines))
    raise typer.Exit(int(code))


def _describe(error: DeconflictError) -> str:
    value = "" if error.value is None else f" (value: {json.dumps(error.value, default=str)})"
    return f"{error}{value}"


def _read_plan(path: Path) -> list[Feature]:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as error:
        _fail(Exit.BAD_INPUT, [f"{path}: cannot read the plan: {error.strerror}"])
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        _fail(
            Exit.BAD_INPUT,
            [f"{path}: not JSON: line {error.lineno} column {error.colno}: {error.msg}"],
        )
    try:
        return parse_plan(document)
    except InvalidPlan as error:
        _fail(Exit.BAD_INPUT, [f"{path}: {error}:"] + [f"  {_describe(p)}" for p in error.problems])


def conflict_to_json(conflict: Conflict) -> dict[str, Any]:
    """A conflict as the `--json` output and the API write it."""
    return {
        "ids": list(conflict.ids),
        "distance_m": round(conflict.distance_m, 3),
        "start": format_time(conflict.window.start),
        "end": format_time(conflict.window.end) if conflict.window.end else None,
    }


def _conflict_table(conflicts: list[Conflict], features: dict[str, Feature]) -> Table:
    table = Table(title=f"{len(conflicts)} conflict{'s' if len(conflicts) != 1 else ''}")
    table.add_column("When (UTC)", no_wrap=True)
    table.add_column("Feature")
    table.add_column("Against")
    table.add_column("Distance", justify="right", no_wrap=True)
    for conflict in sorted(conflicts, key=lambda c: (c.window.start, c.ids)):
        a, b = (features[i] for i in conflict.ids)
        table.add_row(
            _when(conflict.window.start, conflict.window.end),
            _label(a),
            _label(b),
            "0 (overlap)" if conflict.distance_m == 0 else f"{conflict.distance_m / 1000:.3f} km",
        )
    return table


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
    index = SqliteStore(":memory:")
    try:
        conflicts = check_plan(features, index)
    finally:
        index.close()
    if as_json:
        sys.stdout.write(
            json.dumps({"conflicts": [conflict_to_json(c) for c in conflicts]}, indent=1) + "\n"
        )
    elif conflicts:
        _stdout.print(_conflict_table(conflicts, {f.id: f for f in features}))
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
        _fail(Exit.BAD_INPUT, [str(error)])
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
    name: Annotated[str, typer.Argument(help="Which bundled plan.")] = "at-tanf",
) -> None:
    """Print a bundled example plan (GeoJSON) to standard output.

    Example: deconflict example at-tanf > plan.geojson
    """
    source = resources.files("deconflict") / "examples" / f"{name}.geojson"
    if not source.is_file():
        _fail(Exit.BAD_INPUT, [f"no bundled example named {name!r}; try 'at-tanf'"])
    sys.stdout.write(source.read_text(encoding="utf-8"))


party_app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="Manage the parties on the line and their API tokens.",
)
app.add_typer(party_app, name="party")

DbOption = Annotated[
    Path | None, typer.Option("--db", help="The store (SQLite file); default $DECONFLICT_DB.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _open_store(db: Path | None) -> SqliteStore:
    return SqliteStore(Settings.from_env(db=db).db)


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
    except DeconflictError as error:
        _fail(Exit.BAD_INPUT, [_describe(error)])
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
    except DeconflictError as error:
        _fail(Exit.BAD_INPUT, [_describe(error)])
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
    except DeconflictError as error:
        _fail(Exit.BAD_INPUT, [_describe(error)])
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps({"party": party_id, "revoked": count}) + "\n")
    else:
        _stdout.print(f"Revoked {count} token{'s' if count != 1 else ''} of {party_id}.")


def main() -> None:
    """Entry point: anything that escapes a command is an operational failure (exit 3)."""
    try:
        app()
    except DeconflictError as error:
        _fail(Exit.FAILURE, [_describe(error)])
    except Exception as error:
        _fail(Exit.FAILURE, [f"operational failure: {type(error).__name__}: {error}"])
