"""A line over a real store (a SQLite file, then a PostgreSQL database), three parties, and a
clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from deconflict.geo.shapes import Circle
from deconflict.line.model import NoticePolicy
from deconflict.line.parties import Party, register_party
from deconflict.line.service import Line
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.store import Store, open_store

START = datetime(2026, 9, 6, 20, 0, tzinfo=UTC)


@dataclass
class FrozenClock:
    now: datetime = START
    steps: list[timedelta] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    store = open_store(db)
    register_party(
        store,
        Party("coalition", "Coalition", "en", "TOC duty officer", "coalition watch floor"),
        START,
    )
    register_party(store, Party("russia", "Russian forces", "ru", "Hmeimim duty officer"), START)
    register_party(store, Party("aid", "Aid agency", "ar", "aid security desk"), START)
    yield store
    store.close()


@pytest.fixture
def line(store: Store, clock: FrozenClock) -> Line:
    return Line(store, NoticePolicy(), clock)


def zone(fid: str = "at-tanf", party: str = "coalition", radius_m: float = 55_000.0) -> Feature:
    return Feature(
        fid,
        Kind.ZONE,
        party,
        Circle((38.64, 33.5), radius_m),
        TimeWindow(datetime(2026, 1, 1, tzinfo=UTC)),
        name="At Tanf",
    )


def strike(
    fid: str = "strike-1",
    lon: float = 38.7,
    party: str = "russia",
    hours: tuple[int, int] = (22, 26),
) -> Feature:
    day = datetime(2026, 9, 6, tzinfo=UTC)
    return Feature(
        fid,
        Kind.ACTIVITY,
        party,
        Circle((lon, 33.5), 1500.0),
        TimeWindow(day + timedelta(hours=hours[0]), day + timedelta(hours=hours[1])),
        activity="strike",
        name="precision strike",
    )
