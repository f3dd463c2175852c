"""`deconflict demo --escalate-to`: the story's overdue notice reaches an inbox and a webhook
in the aid agency's language (Arabic), each delivery on the record."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console

from deconflict.demo import run_demo
from deconflict.settings import Settings
from tests.outbound.receivers import WebhookReceiver, smtp_server


def test_the_demos_overdue_notice_reaches_an_inbox_and_a_webhook_in_arabic(
    tmp_path: Path,
) -> None:
    receiver = WebhookReceiver().start()
    narrative = io.StringIO()
    try:
        with smtp_server(tmp_path) as (port, ca_file, inbox):
            base = Settings(
                smtp_host="127.0.0.1",
                smtp_port=port,
                smtp_ca_file=ca_file,
                smtp_from="demo@deconflict.test",
                delivery_retry_s=1,
            )
            result = run_demo(
                db=tmp_path / "demo.db",
                console=Console(file=narrative, width=200, highlight=False),
                escalate_to=["director@aid.example.org", receiver.url],
                base=base,
            )
            mails = inbox.to("director@aid.example.org")
    finally:
        receiver.stop()
    told = " ".join(narrative.getvalue().split())
    notice = result.escalation["id"]
    # Every notice to the aid agency that the story leaves unanswered goes out; this one too.
    [mail] = [m for m in mails if f"\u2068{notice}\u2069" in m["Subject"]]
    assert mail["Subject"].startswith("تأخر في الرد") and str(notice) in mail["Subject"]
    assert "جهة التصعيد" in mail.get_content()  # the escalation contact, named in Arabic
    [hooked] = [r for r in receiver.received if r.json["data"]["notice"]["id"] == notice]
    found = re.search(r"its HMAC secret: (whsec_\S+)\.", told)
    assert found is not None, told
    receiver.secret = found.group(1)
    assert receiver.verify(hooked.headers, hooked.body)
    assert hooked.json["data"]["notice"]["id"] == notice
    assert hooked.json["data"]["escalation"]["text"].startswith("تصعيد")
    assert sorted(d["channel"] for d in result.deliveries) == ["email", "webhook"]
    assert {d["outcome"] for d in result.deliveries} == {"delivered"}
    assert result.verified is not None
    assert all(d["entry"] < result.verified.size for d in result.deliveries)  # on the record
    assert "Escalation by email to director@aid.example.org: delivered" in told
