"""How escalation delivery fails: when it retries and when it gives up, what a mail server's
refusal means, and e-mail that would leave the machine in the clear.

Against a real SMTP server on loopback (aiosmtpd) that refuses as it is told to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from hypothesis import given
from hypothesis import strategies as st

from deconflict.line.deliveries import Delivery, DeliveryState, Retries, email
from deconflict.line.escalation import Escalation
from deconflict.line.model import Notice, NoticeState
from deconflict.line.parties import Party
from deconflict.outbound import mail
from deconflict.settings import Settings, SettingsError
from tests.api.conftest import free_port

QUEUED = datetime(2030, 1, 1, tzinfo=UTC)


def _delivery(queued_at: datetime = QUEUED) -> Delivery:
    destination = email("aid", "desk@aid.example.org")
    return Delivery(7, 12, destination, DeliveryState.PENDING, 0, queued_at)


@given(
    first_s=st.integers(1, 600),
    most_s=st.integers(1, 7_200),
    give_up_s=st.integers(1, 7 * 86_400),
    attempt=st.integers(1, 40),
    since_s=st.integers(0, 8 * 86_400),
)
def test_a_retry_doubles_up_to_its_cap_and_none_comes_after_the_give_up_time(
    first_s: int, most_s: int, give_up_s: int, attempt: int, since_s: int
) -> None:
    retries = Retries(
        timedelta(seconds=first_s), timedelta(seconds=most_s), timedelta(seconds=give_up_s)
    )
    delivery = _delivery()
    now = QUEUED + timedelta(seconds=since_s)
    next_at = retries.next_try(delivery, attempt, now)
    delay = min(first_s * 2 ** (attempt - 1), most_s)
    if since_s + delay > give_up_s:
        assert next_at is None  # given up: no try after the bounded time
    else:
        assert next_at == now + timedelta(seconds=delay)
        assert next_at - now <= timedelta(seconds=most_s)
    # Later attempts never wait less than earlier ones.
    later = retries.next_try(delivery, attempt + 1, now)
    if next_at is not None and later is not None:
        assert later - now >= next_at - now


def test_e_mail_in_the_clear_is_refused_at_start_unless_the_mail_server_is_on_this_machine() -> (
    None
):
    with pytest.raises(SettingsError, match="smtp_tls") as refused:
        Settings(smtp_host="mail.example.org", smtp_tls=False)
    assert "mail.example.org" in str(refused.value)
    for loopback in ("127.0.0.1", "::1", "localhost", "127.0.0.53"):
        assert not Settings(smtp_host=loopback, smtp_tls=False).smtp_tls


@dataclass
class Refusing:
    """Refuses every recipient with `code` (or takes every message when None)."""

    code: int | None
    taken: int = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.code is not None:
            return f"{self.code} 5.1.1 no such mailbox" if self.code >= 500 else f"{self.code} busy"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.taken += 1
        return "250 Message accepted"


@contextmanager
def _plain_smtp(handler: Refusing) -> Iterator[int]:
    """An SMTP server on 127.0.0.1 with no STARTTLS: its port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def _escalation() -> Escalation:
    notice = Notice(12, "strike-1", 1, "russia", "aid", True, NoticeState.SENT, QUEUED, QUEUED)
    aid = Party("aid", "Humanitarian aid agency", "en", contact="desk")
    russia = Party("russia", "Russian forces in Syria", "ru")
    return Escalation(_delivery(), notice, aid, russia, "https://line.example.org/#notice/12")


def _server(port: int, tls: bool) -> mail.MailServer:
    return mail.MailServer("127.0.0.1", port, "", "", "line@example.org", tls, None, 5.0)


@pytest.mark.parametrize(("code", "permanent"), [(550, True), (450, False)])
def test_a_mail_servers_refusal_is_final_only_when_it_says_so(code: int, permanent: bool) -> None:
    handler = Refusing(code)
    with _plain_smtp(handler) as port:
        attempt = mail.send(_server(port, tls=False), _escalation(), QUEUED)
    assert not attempt.delivered
    assert attempt.permanent is permanent
    assert attempt.reason == f"the mail server refused the address ({code})"
    assert handler.taken == 0


def test_a_mail_server_without_starttls_gets_nothing_and_is_tried_again(tmp_path: Path) -> None:
    handler = Refusing(None)
    with _plain_smtp(handler) as port:
        refused = mail.send(_server(port, tls=True), _escalation(), QUEUED)
        assert (refused.delivered, refused.permanent) == (False, False)
        assert refused.reason == "the mail server does not offer STARTTLS"
        assert handler.taken == 0  # nothing sent in the clear
        sent = mail.send(_server(port, tls=False), _escalation(), QUEUED)  # a loopback relay
    assert sent.delivered and handler.taken == 1


def test_a_mail_server_that_is_not_there_is_tried_again() -> None:
    attempt = mail.send(_server(free_port(), tls=True), _escalation(), QUEUED)
    assert (attempt.delivered, attempt.permanent) == (False, False)
    assert attempt.reason is not None and attempt.reason.startswith("cannot reach the mail server")
