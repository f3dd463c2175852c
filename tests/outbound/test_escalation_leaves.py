"""An overdue notice leaves the line: to a party's e-mail addresses (SMTP with STARTTLS, in its
language) and webhooks (signed JSON), retried while a receiver is down, every attempt an event
and an entry of the record; a crash between escalation and delivery loses nothing."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from deconflict.i18n.timeline import describe
from deconflict.line.deliveries import Retries, Signing, email, webhook
from deconflict.line.escalation import Escalations, add_destination
from deconflict.line.model import NoticePolicy, Share
from deconflict.line.service import Line
from deconflict.outbound.worker import Outbound, mail_server
from deconflict.record.evidence import evidence_from, verify_evidence
from deconflict.record.note import NoteVerifier
from deconflict.settings import Settings
from deconflict.store import open_store
from deconflict.store.audit import check_store
from tests.api.conftest import LiveServer, seed_parties, start_server, strike_body
from tests.line.conftest import START, FrozenClock, strike
from tests.outbound.receivers import WebhookReceiver, smtp_server, wait_for

FAST = {"respond_within_s": 1, "tick_s": 1, "delivery_retry_s": 1, "delivery_retry_max_s": 2}


@contextmanager
def line_with_mail(db: str, folder: Path, **settings: Any) -> Iterator[tuple[LiveServer, Any]]:
    with smtp_server(folder) as (port, ca_file, inbox):
        live = start_server(
            db,
            seed_parties(db),
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_ca_file=ca_file,
            smtp_from="line@deconflict.test",
            public_url="https://line.example.org",
            **(FAST | settings),
        )
        try:
            yield live, inbox
        finally:
            live.stop()


def add(live: LiveServer, party: str, body: dict[str, Any]) -> dict[str, Any]:
    with live.client(f"{party}-admin") as admin:
        answer = admin.post(f"/v1/parties/{party}/escalation/destinations", json=body)
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def deliveries(live: LiveServer, party: str) -> list[dict[str, Any]]:
    with live.client(f"{party}-admin") as admin:
        answer = admin.get(f"/v1/parties/{party}/escalation/deliveries")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["deliveries"]
    return found


def opened_entry(live: LiveServer, party: str, index: int) -> dict[str, Any] | None:
    """The record's entry `index` as `party` reads it opened; None when it may not open it."""
    with live.client(party) as client:
        answer = client.get("/v1/log/entries", params={"start": index, "end": index + 1})
    entry: dict[str, Any] | None = answer.json()["entries"][0].get("opened")
    return entry


def delivery_events(live: LiveServer, party: str) -> list[dict[str, Any]]:
    """The `delivery` events stored for the party, read from its event stream."""
    found, kind = [], None
    with (
        live.client(party) as client,
        client.stream(
            "GET", "/v1/events", params={"after": 0}, timeout=httpx.Timeout(5, read=1)
        ) as response,
    ):
        try:
            for line in response.iter_lines():
                if line.startswith("event:"):
                    kind = line.removeprefix("event:").strip()
                elif line.startswith("data:") and kind == "delivery":
                    found.append(json.loads(line.removeprefix("data:")))
        except httpx.ReadTimeout:
            pass  # quiet: every stored event came
    return found


def test_an_overdue_notice_reaches_inboxes_and_a_webhook_in_each_recipients_language(
    db: str, tmp_path: Path
) -> None:
    receiver = WebhookReceiver().start()
    try:
        with line_with_mail(db, tmp_path) as (live, inbox):
            hook = add(live, "aid", {"channel": "webhook", "url": receiver.url})
            receiver.secret = hook["secret"]
            assert hook["secret"].startswith("whsec_")
            add(live, "aid", {"channel": "email", "address": "desk@aid.example.org"})
            add(live, "russia", {"channel": "email", "address": "cp@ru.example.org"})
            with live.client("coalition") as coalition:
                sent = coalition.post("/v1/activities", json=strike_body()).json()["notices"]
            to = {n["recipient"]: n["id"] for n in sent}

            arabic = wait_for(lambda: inbox.to("desk@aid.example.org"))[0]
            russian = wait_for(lambda: inbox.to("cp@ru.example.org"))[0]
            hooked = wait_for(lambda: receiver.received)[0]

            assert all(tls for _, tls, _ in inbox.messages)  # every message after STARTTLS
            assert arabic["Subject"].startswith("تأخر في الرد")
            assert str(to["aid"]) in arabic["Subject"]
            body = arabic.get_content()
            assert "لم يصل رد على الإشعار" in body
            assert f"https://line.example.org/#notice/{to['aid']}" in body
            assert "Coalition" in body and "strike-1 v1" in body
            assert arabic["Content-Language"] == "ar"
            assert russian["Subject"].startswith("Просрочено: уведомление")
            assert "Срок ответа" in russian.get_content()
            assert f"#notice/{to['russia']}" in russian.get_content()

            assert hooked.verified, hooked.headers
            payload = hooked.json
            assert payload["type"] == "notice.escalated"
            assert payload["data"]["notice"]["id"] == to["aid"]
            assert payload["data"]["recipient"]["language"] == "ar"
            assert payload["data"]["escalation"]["text"].startswith("تصعيد")
            assert hooked.headers["webhook-id"] == f"dcf-delivery-{payload['data']['delivery']}"

            logged = wait_for(
                lambda: (
                    [d for d in deliveries(live, "aid") if d["state"] == "delivered"]
                    if len([d for d in deliveries(live, "aid") if d["state"] == "delivered"]) == 2
                    else None
                )
            )
            for delivery in logged:
                (attempt,) = delivery["attempts"]
                assert attempt["outcome"] == "delivered"
                entry = opened_entry(live, "aid", attempt["entry"])
                assert entry is not None and entry["kind"] == "delivery"
                assert (entry["notice"], entry["outcome"]) == (to["aid"], "delivered")
            # The sender reads the entry too (it is sealed to the notice's two parties) ...
            seen = opened_entry(live, "coalition", logged[0]["attempts"][0]["entry"])
            assert seen is not None and seen["outcome"] == "delivered"
            # ... and a party the notice is not between cannot.
            assert opened_entry(live, "russia", logged[0]["attempts"][0]["entry"]) is None

            # Both sides hear of each delivery; only the recipient where it went.
            heard = [e for e in delivery_events(live, "aid") if e["outcome"] == "delivered"]
            assert {e["to"] for e in heard} == {
                f"http://127.0.0.1:{receiver.port}",
                "desk@aid.example.org",
            }
            told = [e for e in delivery_events(live, "coalition") if e["notice"] == to["aid"]]
            assert sorted(e["channel"] for e in told) == ["email", "webhook"]
            assert all("to" not in e and "destination" not in e for e in told)
    finally:
        receiver.stop()


def test_a_receiver_that_is_down_gets_the_escalation_once_it_is_back(
    db: str, tmp_path: Path
) -> None:
    receiver = WebhookReceiver()  # not listening yet
    with line_with_mail(db, tmp_path) as (live, _):
        hook = add(live, "aid", {"channel": "webhook", "url": receiver.url})
        receiver.secret = hook["secret"]
        with live.client("coalition") as coalition:
            assert coalition.post("/v1/activities", json=strike_body()).status_code == 201
        failed = wait_for(lambda: [d for d in deliveries(live, "aid") if d["attempts"]])
        assert failed[0]["attempts"][0]["outcome"] == "failed"
        assert failed[0]["attempts"][0]["reason"] == "cannot connect to the receiver"
        assert failed[0]["state"] == "pending"
        receiver.start()
        try:
            done = wait_for(
                lambda: [d for d in deliveries(live, "aid") if d["state"] == "delivered"]
            )
            outcomes = [a["outcome"] for a in done[0]["attempts"]]
            assert outcomes[0] == "failed" and outcomes[-1] == "delivered"
            assert set(outcomes[1:-1]) <= {"failed"}
            assert receiver.received[0].verified
            entries = [opened_entry(live, "aid", a["entry"]) or {} for a in done[0]["attempts"]]
            assert [e.get("outcome") for e in entries] == outcomes
            assert entries[0]["reason"] == "cannot connect to the receiver"
            assert entries[0]["to"] == f"http://127.0.0.1:{receiver.port}"  # no path
            # The attempts are part of the notice's proven thread, told to an arbiter.
            with live.client("aid") as aid:
                key = NoteVerifier.from_text(aid.get("/v1/log/key").text.strip())
                evidence = aid.get(f"/v1/notices/{entries[0]['notice']}/evidence").json()
            thread = verify_evidence(evidence_from(evidence), key)
            told = [
                describe(view, {}, {}, "en")
                for _, view in thread.entries
                if view["kind"] == "delivery"
            ]
            assert [who for who, _ in told] == ["the line"] * len(outcomes)
            assert "(attempt 1): failed (cannot connect to the receiver)" in told[0][1]
            assert told[-1][1].endswith(": accepted by the receiver")
        finally:
            receiver.stop()


def test_a_crash_between_escalation_and_delivery_loses_nothing(db: str) -> None:
    seed_parties(db)
    receiver = WebhookReceiver().start()
    try:
        store = open_store(db)
        destination = add_destination(store, webhook("aid", receiver.url, Signing.HMAC), START)
        receiver.secret = destination.secret
        clock = FrozenClock()
        line = Line(store, NoticePolicy(), clock)
        declared = line.declare("coalition", strike(party="coalition"), Share.SHAPE)
        notice = next(n for n in declared.notices if n.recipient == "aid")
        clock.advance(timedelta(hours=1))
        assert notice.id in line.tick().escalated
        store.close()  # the process ends before any worker ran

        reopened = open_store(db)
        try:
            retries = Retries(timedelta(seconds=1), timedelta(seconds=1), timedelta(hours=1))
            escalations = Escalations(reopened, clock, retries, "https://line.example.org")
            outbound = Outbound(escalations, mail_server(Settings()), None, 5)
            try:
                settled = outbound.run_once()
            finally:
                outbound.close()
            assert [(s.delivery.notice_id, s.outcome.value) for s in settled] == [
                (notice.id, "delivered")
            ]
            assert receiver.received[0].verified
            assert receiver.received[0].json["data"]["notice"]["id"] == notice.id
            # The store still agrees with its record, the delivery entry in it.
            assert check_store(reopened, None).findings == []
        finally:
            reopened.close()
    finally:
        receiver.stop()


def test_two_workers_never_claim_one_job(db: str) -> None:
    seed_parties(db)
    first, second = open_store(db), open_store(db)
    try:
        add_destination(first, email("aid", "a@aid.example.org"), START)
        add_destination(first, email("aid", "b@aid.example.org"), START)
        clock = FrozenClock()
        line = Line(first, NoticePolicy(), clock)
        for number in range(10):
            line.declare("coalition", strike(f"strike-{number}", party="coalition"), Share.SHAPE)
        clock.advance(timedelta(hours=1))
        assert len(line.tick().escalated) == 20  # to russia and to aid; aid's go to two addresses
        now = clock()
        claimed: dict[str, list[int]] = {}

        def claim(name: str, store: Any) -> None:
            got: list[int] = []
            for _ in range(10):
                leased = store.claim_deliveries(now, now + timedelta(minutes=1), name, 3)
                got += [delivery.id for delivery in leased]
            claimed[name] = got

        threads = [
            threading.Thread(target=claim, args=(name, store))
            for name, store in (("one", first), ("two", second))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        together = claimed["one"] + claimed["two"]
        assert len(together) == len(set(together)) == 20
        # A lease that has run out is claimed again; one that has not, never.
        later = now + timedelta(minutes=2)
        assert len(second.claim_deliveries(now, now + timedelta(minutes=1), "three", 50)) == 0
        assert len(second.claim_deliveries(later, later + timedelta(minutes=1), "three", 50)) == 20
    finally:
        first.close()
        second.close()


def test_a_webhook_signed_with_the_lines_key_verifies_with_its_published_key(
    db: str, tmp_path: Path
) -> None:
    receiver = WebhookReceiver().start()
    try:
        with line_with_mail(db, tmp_path) as (live, _):
            hook = add(
                live, "russia", {"channel": "webhook", "url": receiver.url, "signing": "line-key"}
            )
            assert hook["secret"] is None and hook["destination"]["signing"] == "line-key"
            with live.client("russia") as russia:
                published = russia.get("/v1/log/key").text.strip()
            receiver.public_key = base64.b64decode(published.split("+", 2)[2])[1:]
            with live.client("coalition") as coalition:
                assert coalition.post("/v1/activities", json=strike_body()).status_code == 201
            hooked = wait_for(lambda: receiver.received)[0]
            assert hooked.headers["webhook-signature"].startswith("v1a,")
            assert hooked.verified
            assert hooked.json["data"]["recipient"] == {
                "id": "russia",
                "name": "Russian forces",
                "language": "ru",
            }
            assert hooked.json["data"]["escalation"]["text"].startswith("Эскалация")
            # A body changed on the way no longer verifies.
            assert not receiver.verify(hooked.headers, hooked.body.replace(b"russia", b"rUssia"))
    finally:
        receiver.stop()
