"""Escalations leave the line: webhooks over HTTP, e-mail over SMTP, and the worker that sends
the jobs the line queued (line/escalation.py decides what and when; this package only sends)."""
