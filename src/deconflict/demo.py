"""The At Tanf story, told end to end through the real HTTP API: `deconflict demo`.

A server on loopback over a fresh SQLite store, three parties with their
tokens, and the Python client doing what each side's duty officer does: the
coalition declares its zone, the Russian side notifies strikes, a conflict is
flagged, objected to, amended away and acknowledged; a drill is notified and
acknowledged in two languages; one notice goes unanswered and is escalated.
The story server gives recipients two seconds to answer, so the escalation
happens while you watch. It is set in the coming days: the strikes on the
next night, the drill the morning after, the artillery from the evening after
that, so the console opened on the line shows them on its first view.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from deconflict.client import Client, Json
from deconflict.errors import DeconflictError, StateConflict
from deconflict.formats import Defaults
from deconflict.formats.sites_csv import read_sites_csv
from deconflict.geo.coords import Position, parse_position
from deconflict.i18n.distances import format_distance
from deconflict.i18n.dtg import format_dtg, parse_moment
from deconflict.line.parties import Party, register_party
from deconflict.record.bundle import Verified, verify_bundle
from deconflict.rules.plan import feature_to_geojson, format_time
from deconflict.server import create_app, quiet_server, requests_logged
from deconflict.settings import Settings
from deconflict.store.sqlite import SqliteStore

__all__ = ["DemoResult", "run_demo"]

PARTIES = (
    Party(
        "coalition", "Coalition (CJTF-OIR)", "en", "CJTF-OIR duty officer", "CJTF-OIR watch floor"
    ),
    Party(
        "russia", "Russian forces in Syria", "ru", "Hmeimim duty officer", "Hmeimim command post"
    ),
    Party("aid", "Humanitarian aid agency", "ar", "aid security desk", "aid country director"),
)
GARRISON = "33°30'00\"N 038°38'24\"E"  # typed as an operator would, read by parse_position
ZONE_RADIUS_M = 55_000
STRIKES = {"strike-1": "37SDT 26077 56900", "strike-2": "37SDT 93507 20025"}  # MGRS
STRIKE_2_MOVED_TO = "37SET 30499 54443"  # about 25 km outside the zone
STRIKE_RADIUS_M = 1_000
DRILL_AT = "33.52N 38.60E"
DRILL_RADIUS_M = 5_000
DRILL_NAME = "deploy rapidly, assault a target, rapid exfiltration"
OBJECTION_TEXT = "Coalition advisers and partner forces are in the zone that night."
# The aid agency's field sites, as its site list keeps them (lat/lon, MGRS or DMS).
AID_SITES = """name,lat,lon,mgrs,radius_m,category,contact
Rukban camp clinic,33.3167,38.6917,,300,clinic,aid security desk
Water point 7,,,37S EU 07250 53630,100,water,aid security desk
Warehouse on the Tanf road,33°35'00"N,38°20'00"E,,150,warehouse,aid security desk
"""
# Russian artillery fires from a sector south-east of the camp, nightly for five nights.
ARTILLERY_FROM = "33.20N 38.80E"
ARTILLERY_SECTOR = {"outer_m": 25_000, "inner_m": 2_000, "from_deg": 290, "to_deg": 350}
ESCALATION_WAIT_S = 10.0
DELIVERY_WAIT_S = 60.0
# Short deadlines so an unanswered notice escalates within seconds.
STORY_RESPOND_WITHIN_S = 2
STORY_TICK_S = 1


@dataclass(frozen=True)
class DemoResult:
    """What the story did: where the line ran, with which tokens, and the facts it showed.

    url: where the story's server ran (with keep_running: where the line was then served).
    db: where the line is kept (None: it was a temporary store, now removed).
    tokens: an admin token for each party.
    strike_conflicts / amended_conflicts: strike-2's conflicts as notified, then as amended.
    objection: the coalition's objection as the Russian side reads it (a thread message).
    acknowledgement: the Russian acknowledgement of the drill as rendered for each side,
        by language ("ru" for the Russian side, "en" for the coalition).
    escalation: the event that escalated the notice nobody answered.
    sites: the ids of the aid agency's sites, imported from its site list in one step.
    artillery_conflicts: the nightly artillery sector's conflicts, with the nights that meet.
    deliveries: how the escalation beyond the line ended for each destination given
        (`escalate_to`): the recipient's `delivery` event of its last attempt.
    verified: what the offline verification of the exported record proved.
    elapsed_s: the story's wall time, serving afterwards excluded.
    """

    url: str
    db: Path | None
    tokens: dict[str, str]
    strike_conflicts: list[Json]
    amended_conflicts: list[Json]
    objection: Json
    acknowledgement: dict[str, str]
    escalation: Json
    verified: Verified | None
    elapsed_s: float
    sites: list[str]
    artillery_conflicts: list[Json]
    deliveries: list[Json] = field(default_factory=list)


def run_demo(
    keep_running: bool = False,
    db: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    console: Console | None = None,
    escalate_to: Sequence[str] = (),
    base: Settings | None = None,
) -> DemoResult:
    """Run the At Tanf story through a real server on loopback, narrated on `console`.

    db: where to keep the line (it must not exist yet); None: a temporary store,
    removed at the end. keep_running: afterwards, print each party's token and
    serve the line on host:port with the normal deadlines until Ctrl-C.
    escalate_to: e-mail addresses and webhook URLs the aid agency's overdue notice is sent
    to beyond the line (through the mail server of `base`'s `smtp_*` settings).
    Raises DeconflictError if the server fails or the escalation does not come.
    """
    console = console or Console(highlight=False)
    started = time.monotonic()
    with _store_path(db) as path:
        tokens = _seed(path)
        settings = replace(
            base or Settings(),
            db=path,
            respond_within_s=STORY_RESPOND_WITHIN_S,
            tick_s=STORY_TICK_S,
            skip_check=False,
            tiles=None,
            log_key=None,
        )
        with _background_server(settings) as url, ExitStack() as clients:
            console.print(f"[bold]The At Tanf deconfliction line[/], through the API at {url}")
            line = {p: clients.enter_context(Client(url, tokens[p])) for p in tokens}
            story = _Story(line, console, _next_night(datetime.now(UTC)))
            story.escalate_beyond(escalate_to)
            story.tell()
        elapsed_s = time.monotonic() - started
        console.print(f"The story took {elapsed_s:.1f} s; every message is on the line's record.")
        result = DemoResult(
            url,
            db,
            tokens,
            story.strike_conflicts,
            story.amended_conflicts,
            story.objection,
            story.acknowledgement,
            story.escalation,
            story.verified,
            elapsed_s,
            story.sites,
            story.artillery_conflicts,
            story.deliveries,
        )
        if keep_running:
            result = replace(
                result, url=_serve_until_interrupted(path, host, port, tokens, console)
            )
    return result


class _Story:
    """The beats of the story, in order; each prints one step with its DTG."""

    def __init__(self, line: Mapping[str, Client], console: Console, night: datetime) -> None:
        self.line = line
        self.console = console
        self.night = (night, night + timedelta(hours=5))  # 22:00 to 03:00
        self.day = (night + timedelta(hours=8), night + timedelta(hours=14))  # 06:00 to 12:00
        self.strike_conflicts: list[Json] = []
        self.amended_conflicts: list[Json] = []
        self.objection: Json = {}
        self.acknowledgement: dict[str, str] = {}
        self.escalation: Json = {}
        self.sites: list[str] = []
        self.site_conflicts = 0
        self.artillery_conflicts: list[Json] = []
        self.verified: Verified | None = None
        self.destinations: list[Json] = []
        self.deliveries: list[Json] = []

    def escalate_beyond(self, targets: Sequence[str]) -> None:
        """The aid agency's admin sends its overdue notices to these addresses and webhooks."""
        for target in targets:
            body: Json = (
                {"channel": "email", "address": target}
                if "@" in target and "://" not in target
                else {"channel": "webhook", "url": target}
            )
            added = self.line["aid"].add_escalation("aid", body)
            self.destinations.append(added["destination"])
            secret = f"; its HMAC secret: {added['secret']}" if added["secret"] else ""
            self.say(f"The aid agency escalates overdue notices to {escape(target)}{secret}.")

    def tell(self) -> None:
        self.declare_zone()
        self.notify_strikes()
        self.object_to_the_conflict()
        self.amend_the_strike()
        drill_notices = self.notify_drill()
        self.acknowledge_drill(drill_notices["russia"])
        self.escalate_unanswered(drill_notices["aid"])
        self.import_aid_sites()
        self.notify_nightly_artillery()
        self.verify_the_record()

    def say(self, text: str, *details: str) -> None:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column()
        grid.add_row(format_dtg(datetime.now(UTC)), text)
        for detail in details:
            grid.add_row("", detail)
        self.console.print(grid)

    def declare_zone(self) -> None:
        centre = parse_position(GARRISON)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        zone = _circle(
            "at-tanf",
            centre,
            ZONE_RADIUS_M,
            (today, None),
            kind="zone",
            name="At Tanf garrison",
            category="garrison",
        )
        self.line["coalition"].declare_zone(zone)
        self.say(
            f"{_name('coalition')} declares the At Tanf deconfliction zone: "
            f"{ZONE_RADIUS_M // 1000} km around {escape(GARRISON)}, open-ended.",
            f"(typed in DMS, read as {centre.lat_deg:.4f}°N {centre.lon_deg:.4f}°E)",
        )

    def notify_strikes(self) -> None:
        outcomes = []
        for feature_id, grid in STRIKES.items():
            strike = _circle(
                feature_id, parse_position(grid), STRIKE_RADIUS_M, self.night, activity="strike"
            )
            conflicts = self.line["russia"].notify(strike)["conflicts"]
            outcomes.append(f"{feature_id} at {grid}: {_conflicts(conflicts)}")
            if feature_id == "strike-2":
                self.strike_conflicts = conflicts
        self.say(
            f"{_name('russia')} notify {len(STRIKES)} precision strikes against militants "
            f"in the At Tanf area, {_span(self.night)} (targets typed in MGRS).",
            "; ".join(outcomes) + ".",
        )

    def object_to_the_conflict(self) -> None:
        coalition = self.line["coalition"]
        notices = {n["feature"]: n for n in coalition.inbox()["notices"]}
        clear, flagged = notices["strike-1"]["id"], notices["strike-2"]["id"]
        coalition.respond(clear, "acknowledged")
        coalition.respond(flagged, "objection", reason="forces_present", text=OBJECTION_TEXT)
        self.objection = self.line["russia"].notice(flagged)["notice"]["thread"][-1]
        self.say(
            f"{_name('coalition')} acknowledges notice #{clear} (strike-1) and "
            f"[bold]objects[/] to priority notice #{flagged} (strike-2): forces_present.",
            f"The Russian side reads: «{escape(_rendered(self.objection))}»",
        )

    def amend_the_strike(self) -> None:
        moved = _circle(
            "strike-2",
            parse_position(STRIKE_2_MOVED_TO),
            STRIKE_RADIUS_M,
            self.night,
            activity="strike",
        )
        answer = self.line["russia"].amend(moved)
        self.amended_conflicts = answer["conflicts"]
        version = answer["feature"]["properties"]["version"]
        coalition = self.line["coalition"]
        notice = next(
            n
            for n in coalition.inbox()["notices"]
            if n["feature"] == "strike-2" and n["version"] == version
        )
        coalition.respond(notice["id"], "acknowledged")
        self.say(
            f"{_name('russia')} amend strike-2 (version {version}): target moved to "
            f"{STRIKE_2_MOVED_TO}, outside the zone: {_conflicts(self.amended_conflicts)}.",
            f"{_name('coalition')} acknowledges the amendment (notice #{notice['id']}).",
        )

    def notify_drill(self) -> dict[str, int]:
        drill = _circle(
            "drill-1",
            parse_position(DRILL_AT),
            DRILL_RADIUS_M,
            self.day,
            activity="drill",
            name=f"Garrison drill: {DRILL_NAME}",
        )
        answer = self.line["coalition"].notify(drill)
        notices = {n["recipient"]: int(n["id"]) for n in answer["notices"]}
        self.say(
            f"{_name('coalition')} notifies a drill near the garrison, {_span(self.day)}: "
            f"{DRILL_NAME}.",
            f"Notice #{notices['russia']} to {_name('russia')}, "
            f"#{notices['aid']} to the {_name('aid').lower()}; {_conflicts(answer['conflicts'])}.",
        )
        return notices

    def acknowledge_drill(self, notice_id: int) -> None:
        self.line["russia"].respond(notice_id, "acknowledged")
        self.acknowledgement = {
            "ru": _rendered(self.line["russia"].notice(notice_id)["notice"]["thread"][-1]),
            "en": _rendered(self.line["coalition"].notice(notice_id)["notice"]["thread"][-1]),
        }
        self.say(
            f"{_name('russia')} acknowledge the drill (notice #{notice_id}).",
            f"As the Russian side reads it: «{escape(self.acknowledgement['ru'])}»",
            f"As the coalition reads it:    «{escape(self.acknowledgement['en'])}»",
        )

    def import_aid_sites(self) -> None:
        """The aid agency brings its site list in as it keeps it: one step, all or nothing."""
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        reading = read_sites_csv(AID_SITES, Defaults("aid", today))
        answer = self.line["aid"].import_features([feature_to_geojson(f) for f in reading.features])
        self.sites = [item["id"] for item in answer["imported"]]
        self.site_conflicts = sum(int(item["conflicts"]) for item in answer["imported"])
        self.say(
            f"The {_name('aid').lower()} imports its site list (CSV: lat/lon, MGRS and DMS "
            f"rows) in one step: {len(self.sites)} zones stored, "
            f"{self.site_conflicts or 'no'} conflict{'s' if self.site_conflicts != 1 else ''}.",
            ", ".join(self.sites) + ".",
        )

    def notify_nightly_artillery(self) -> None:
        """A repeating sector with levels as pilots write them: the notice names the nights."""
        evening = self.night[0] + timedelta(hours=22)  # 20:00 the day after the strikes
        first = (evening, evening + timedelta(hours=3))
        artillery = _circle(
            "artillery-1",
            parse_position(ARTILLERY_FROM),
            0,
            first,
            activity="artillery",
            name="Night fire, sector south-east of Rukban",
            altitude={"lower": "SFC", "upper": "FL100"},
            repeat={"every": "day", "until": format_time(first[0] + timedelta(days=5))},
        )
        del artillery["properties"]["radius_m"]
        artillery["properties"]["sector"] = ARTILLERY_SECTOR
        answer = self.line["russia"].notify(artillery)
        self.artillery_conflicts = answer["conflicts"]
        notices = {n["recipient"]: int(n["id"]) for n in answer["notices"]}
        self.line["coalition"].respond(notices["coalition"], "acknowledged")
        self.line["aid"].respond(notices["aid"], "objection", reason="civilians_present")
        nights = [
            f"{c['against']} on {c['occurrences']['total']} nights"
            for c in self.artillery_conflicts
            if c.get("occurrences")
        ]
        self.say(
            f"{_name('russia')} notify nightly artillery fire from a sector (290°–350°, "
            f"2–25 km, SFC–FL100), {_span(first)} and the same hours for five nights: "
            f"{_conflicts(self.artillery_conflicts)}.",
            "The notices name each night that meets: " + "; ".join(nights) + ".",
            f"{_name('coalition')} acknowledges (notice #{notices['coalition']}); the "
            f"{_name('aid').lower()} objects: civilians_present (notice #{notices['aid']}).",
        )

    def verify_the_record(self) -> None:
        """The Russian side exports the record and checks it offline against the pinned key."""
        russia = self.line["russia"]
        with tempfile.TemporaryDirectory() as folder:
            bundle = Path(folder) / "record"
            russia.export(bundle)
            self.verified = verify_bundle(bundle, server_key=russia.log_key())
        receipts = len(self.line["russia"].receipts) + len(self.line["coalition"].receipts)
        self.say(
            f"The Russian side exports the record and verifies it offline: "
            f"[bold]{self.verified.size} entries[/], root "
            f"{self.verified.root_hash.hex()[:16]}…, signed by the line's key; "
            f"{receipts} receipts were checked on the way.",
        )

    def escalate_unanswered(self, notice_id: int) -> None:
        """Wait (bounded) on the coalition's live events for the escalation of `notice_id`."""
        for event in self.line["coalition"].events(timeout_s=ESCALATION_WAIT_S):
            if event.kind == "escalation" and event.data.get("id") == notice_id:
                self.escalation = event.data
                break
        else:
            raise DeconflictError(
                f"notice {notice_id} was not escalated within {ESCALATION_WAIT_S:.0f} s",
                field="notice",
                value=notice_id,
            )
        due = format_dtg(parse_moment(self.escalation["respond_by"]))
        message = self.escalation["thread"][-1]
        self.say(
            f"The {_name('aid').lower()} has not answered notice #{notice_id} by {due}: "
            f"[bold]escalated[/] (the coalition's console sees it live).",
            f"«{escape(_rendered(message))}»",
        )
        if self.destinations:
            self.follow_deliveries(notice_id)

    def follow_deliveries(self, notice_id: int) -> None:
        """Wait (bounded) on the aid agency's events until each destination has its outcome
        (delivered, or given up); a failed try is told and waited past."""
        settled: dict[int, Json] = {}
        for event in self.line["aid"].events(timeout_s=DELIVERY_WAIT_S):
            data = event.data
            if event.kind != "delivery" or data.get("notice") != notice_id:
                continue
            reason = f" ({data['reason']})" if data.get("reason") else ""
            self.say(
                f"Escalation by {data['channel']} to {escape(str(data['to']))}: "
                f"[bold]{data['outcome']}[/]{escape(reason)}; record entry {data['entry']}."
            )
            if data["outcome"] != "failed":
                settled[data["destination"]] = data
            if len(settled) == len(self.destinations):
                break
        self.deliveries = list(settled.values())


def _circle(
    feature_id: str,
    centre: Position,
    radius_m: float,
    window: tuple[datetime, datetime | None],
    kind: str = "activity",
    **properties: Any,
) -> Json:
    """A circle as a GeoJSON Feature in the line's format."""
    start, end = window
    return {
        "type": "Feature",
        "id": feature_id,
        "geometry": {"type": "Point", "coordinates": [centre.lon_deg, centre.lat_deg]},
        "properties": {
            "kind": kind,
            "radius_m": radius_m,
            "start": format_time(start),
            "end": format_time(end) if end else None,
            **properties,
        },
    }


def _name(party_id: str) -> str:
    return next(p.name for p in PARTIES if p.id == party_id)


def _span(window: tuple[datetime, datetime]) -> str:
    return f"{format_dtg(window[0])} to {format_dtg(window[1])}"


def _conflicts(conflicts: list[Json]) -> str:
    if not conflicts:
        return "no conflict"
    found = [f"{c.get('party')}'s {c.get('against', '(withheld)')}{_apart(c)}" for c in conflicts]
    return f"[bold red]CONFLICT[/] with {escape('; '.join(found))}"


def _apart(conflict: Json) -> str:
    distance_m = conflict.get("distance_m")
    if distance_m is None:
        return ""
    return " (inside it)" if distance_m == 0 else f" ({format_distance(distance_m)} apart)"


def _rendered(message: Json) -> str:
    """A thread message as its reader sees it: the rendered text, then any free text."""
    return " ".join(part for part in (message.get("text"), message.get("free_text")) if part)


def _next_night(now: datetime) -> datetime:
    """22:00 UTC of the coming night, at least two hours ahead (so its notices can be answered)."""
    tonight = now.replace(hour=22, minute=0, second=0, microsecond=0)
    return tonight if tonight - now >= timedelta(hours=2) else tonight + timedelta(days=1)


@contextmanager
def _store_path(db: Path | None) -> Iterator[Path]:
    """The demo's store: `db` (refused if it exists) or a file in a temporary directory."""
    if db is not None:
        if db.exists():
            raise StateConflict(
                "the demo needs a fresh store; this file exists", field="db", value=str(db)
            )
        yield db
        return
    with tempfile.TemporaryDirectory(prefix="deconflict-demo-") as directory:
        yield Path(directory) / "demo.db"


def _seed(db: Path) -> dict[str, str]:
    """Register the story's parties; returns an admin token for each."""
    store = SqliteStore(db)
    try:
        now = datetime.now(UTC)
        return {party.id: register_party(store, party, now) for party in PARTIES}
    finally:
        store.close()


@contextmanager
def _background_server(settings: Settings) -> Iterator[str]:
    """The API over `settings.db` on a free loopback port, in a thread; yields its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    try:
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise DeconflictError("the demo server did not start within 10 s")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


def _serve_until_interrupted(
    db: Path, host: str, port: int, tokens: Mapping[str, str], console: Console
) -> str:
    """Serve the line in `db` with the normal settings until Ctrl-C; returns its URL."""
    settings = Settings.from_env(db=db, host=host, port=port)
    url = f"http://{settings.host}:{settings.port}"
    console.print(
        f"Serving the demo line at {url}: the console at {url}/ (sign in with a token below), "
        f"API docs at {url}/docs; Ctrl-C stops it.",
        soft_wrap=True,
    )
    console.print("Tokens (admin; keep them secret):")
    for party, token in tokens.items():
        console.print(f"  {party:<10} {token}", markup=False, soft_wrap=True)
    console.print(
        f"Try: deconflict inbox --server {url} --token <the coalition token>", markup=False
    )
    console.print(requests_logged(settings), markup=False, soft_wrap=True)
    uvicorn.run(create_app(settings), **quiet_server(settings))
    return url
