"""An escalation e-mail through the operator's mail server: SMTP with STARTTLS, plain text.

TLS is required unless the operator turned it off for a relay on the same machine
(settings refuse it otherwise); the server's certificate is checked against the
system's authorities or `smtp_ca_file`. A 5xx answer is final (no retry makes a
refused address good); a 4xx answer, a refused connection or a timeout is retried.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from deconflict.line.deliveries import Attempt
from deconflict.line.escalation import Escalation

__all__ = ["MailServer", "message", "send"]


@dataclass(frozen=True)
class MailServer:
    """Where and how escalation e-mail is sent (the `smtp_*` settings)."""

    host: str
    port: int
    user: str
    password: str
    sender: str
    tls: bool
    ca_file: Path | None
    timeout_s: float

    @property
    def from_address(self) -> str:
        return self.sender or f"deconflict@{socket.getfqdn()}"


def message(server: MailServer, escalation: Escalation, at: datetime) -> EmailMessage:
    """The e-mail: subject and body in the recipient's language, one per delivery id."""
    mail = escalation.mail()
    found = EmailMessage()
    found["Subject"] = mail.subject
    found["From"] = server.from_address
    found["To"] = escalation.delivery.destination.target
    found["Date"] = format_datetime(at)
    found["Message-ID"] = make_msgid(escalation.message_id, server.from_address.split("@")[-1])
    found["Auto-Submitted"] = "auto-generated"
    found.set_content(mail.body)
    found["Content-Language"] = mail.language  # after the content, which resets Content-*
    return found


def send(server: MailServer, escalation: Escalation, at: datetime) -> Attempt:
    """Send the escalation's e-mail; what came of it."""
    if not server.host:
        return Attempt(False, "no mail server is configured (smtp_host)", permanent=True)
    try:
        with smtplib.SMTP(server.host, server.port, timeout=server.timeout_s) as smtp:
            smtp.ehlo()
            if server.tls:
                if not smtp.has_extn("starttls"):
                    return Attempt(False, "the mail server does not offer STARTTLS")
                smtp.starttls(context=_tls(server))
                smtp.ehlo()
            if server.user:
                smtp.login(server.user, server.password)
            smtp.send_message(message(server, escalation, at))
    except smtplib.SMTPRecipientsRefused as refused:
        codes = [code for code, _ in refused.recipients.values()]
        return Attempt(False, f"the mail server refused the address ({codes[0]})", codes[0] >= 500)
    except smtplib.SMTPResponseException as error:
        return Attempt(False, f"the mail server answered {error.smtp_code}", error.smtp_code >= 500)
    except ssl.SSLError as error:
        return Attempt(False, f"TLS with the mail server failed ({error.reason or error})")
    except (smtplib.SMTPException, OSError) as error:
        return Attempt(False, f"cannot reach the mail server ({type(error).__name__})")
    return Attempt(True)


def _tls(server: MailServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(server.ca_file) if server.ca_file else None)
