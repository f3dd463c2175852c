"""The worker that sends escalations: claim due jobs under a lease, send each, settle each.

Every server runs one (`server.py`); on a shared PostgreSQL store every node
does, and the lease keeps any job from being sent by two at once. Delivery is
at least once: a worker that stops between sending and settling leaves the job
to be sent again once its lease runs out (the `webhook-id` and Message-ID stay
the same, so a receiver can tell).
"""

from __future__ import annotations

import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx

from deconflict.line.deliveries import Attempt, Channel, Settled
from deconflict.line.escalation import Escalation, Escalations
from deconflict.outbound import mail, webhook
from deconflict.record.note import NoteSigner
from deconflict.settings import Settings

__all__ = ["Outbound", "mail_server"]

AT_ONCE = 4
"""Jobs sent at once (each in a thread of its own), and claimed at a time."""


def mail_server(settings: Settings) -> mail.MailServer:
    """The mail server of `settings`."""
    return mail.MailServer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_user,
        settings.smtp_password,
        settings.smtp_from,
        settings.smtp_tls,
        settings.smtp_ca_file,
        settings.delivery_timeout_s,
    )


class Outbound:
    """Sends what `escalations` queues: webhooks signed with `signer` (the line's key) or
    their secrets, e-mail through `server`."""

    def __init__(
        self,
        escalations: Escalations,
        server: mail.MailServer,
        signer: NoteSigner | None,
        timeout_s: float,
    ) -> None:
        self.escalations = escalations
        self.server = server
        self.signer = signer
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # A job's lease outlasts its sending: one SMTP conversation is a few timeouts at most.
        self.lease = timedelta(seconds=4 * timeout_s + 30)
        self.http = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def run_once(self) -> list[Settled]:
        """Claim the jobs due now, send them, and settle each; the attempts as recorded."""
        claimed = self.escalations.claim(self.owner, self.lease, AT_ONCE)
        if not claimed:
            return []
        with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
            attempts = list(pool.map(self.send, claimed))
        settled = (
            self.escalations.settle(escalation, attempt, self.owner)
            for escalation, attempt in zip(claimed, attempts, strict=True)
        )
        return [found for found in settled if found is not None]

    def send(self, escalation: Escalation) -> Attempt:
        """One try at one job."""
        if escalation.delivery.removed:
            return Attempt(False, "the destination was removed", permanent=True)
        now = self.escalations.clock()
        if escalation.delivery.destination.channel is Channel.EMAIL:
            return mail.send(self.server, escalation, now)
        return webhook.post(self.http, escalation, now, self.signer)
