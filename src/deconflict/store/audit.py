"""The check that binds the store to its record: `deconflict db check`, and the server at start.

It reads the head file first (store/head.py: what the line last signed), then
the log and every state row in one snapshot; checks the log (store/audit_log.py)
and the head against it; and compares every state row with the record, opened
with every opening (store/audit_state.py). Each finding names the entry and the
row. The head is read before the snapshot, so a server writing meanwhile can
only leave the head behind the snapshot, never ahead of it.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from deconflict.errors import DeconflictError
from deconflict.record.base64text import encode_base64
from deconflict.record.note import Checkpoint
from deconflict.store.audit_log import Finding, LogCheck, check_head, check_log
from deconflict.store.audit_state import check_state, gather
from deconflict.store.audit_tables import Tables, read_tables
from deconflict.store.connection import Connection
from deconflict.store.head import HeadFile, HeadUnreadable

__all__ = ["Audited", "Finding", "Report", "StoreInconsistent", "check_store"]


class StoreInconsistent(DeconflictError):
    """The store differs from its record; the message lists every finding, one a line."""


class Audited(Protocol):
    """What the check needs of a store (both backends have it)."""

    index_boxes: ClassVar[str]

    def snapshot(self) -> AbstractContextManager[Connection]: ...


@dataclass(frozen=True)
class Report:
    """What the check found: the log's size, the first entry the rows were compared from (0:
    all), the head it was held to, every finding, and how long it took."""

    size: int
    first: int
    head: Checkpoint | None
    findings: list[Finding]
    seconds: float

    @property
    def consistent(self) -> bool:
        return not self.findings


def check_store(
    store: Audited, head: HeadFile | None, head_required: bool = True, window: int | None = None
) -> Report:
    """Check the store against its record and against the head file `head` (None: no log key,
    so no head was ever signed). `head_required`: a missing head file is a finding when the
    log holds entries (False only on the start that makes the log key). `window`: compare
    the rows with the latest `window` entries only (every leaf and node is checked, and the
    head, whatever the window)."""
    started = time.perf_counter()
    checkpoint, findings = read_head(head)
    with store.snapshot() as db:
        tables = read_tables(db, store.index_boxes, window)
    log = check_record(tables, checkpoint, head, head_required, findings)
    findings += check_state(tables, gather(log.entries, complete=log.first == 0))
    return Report(log.size, log.first, checkpoint, findings, time.perf_counter() - started)


def check_record(
    tables: Tables,
    checkpoint: Checkpoint | None,
    head: HeadFile | None,
    head_required: bool,
    findings: list[Finding],
) -> LogCheck:
    """Check the log in `tables` and hold it to `checkpoint`, the head read from `head`; what
    is wrong is added to `findings`. The log as checked, its entries opened."""
    log = check_log(tables)
    findings += log.findings
    if checkpoint is not None and head is not None:
        findings += check_head(checkpoint, log, str(head.path))
    elif head is not None and head_required and log.size:
        findings.append(_no_head(head, log.size))
    return log


def read_head(head: HeadFile | None) -> tuple[Checkpoint | None, list[Finding]]:
    """The checkpoint in the head file (None: no log key, or no head signed yet), or a finding
    when the file cannot be read as one."""
    if head is None:
        return None, []
    try:
        return head.read(), []
    except HeadUnreadable as error:
        return None, [Finding("the signed head", f"file {head.path}", str(error))]


def _no_head(head: HeadFile, size: int) -> Finding:
    return Finding(
        f"entries 0 to {size - 1}",
        f"file {head.path}",
        f"no head file, though the record holds {size} entries: a truncation cannot be ruled"
        " out. Restore the file from the backup of the log key; if the store is known to be"
        " as it should, `deconflict db check --accept-head` signs its head as it is now",
    )


def refusal(db: str, report: Report, shown_at_most: int | None = 20) -> str:
    """What differs in the store `db`, one finding a line (the first `shown_at_most`; None:
    all), and how a server may start anyway."""
    count = len(report.findings)
    lines = [
        f"{db} differs from its record ({count} finding{'s' if count != 1 else ''}):",
        *(f"  {finding}" for finding in report.findings[:shown_at_most]),
    ]
    if shown_at_most is not None and count > shown_at_most:
        lines.append(f"  ... and {count - shown_at_most} more: `deconflict db check` lists all")
    lines.append(
        "A server does not start on it; only in an emergency: --skip-check"
        " (DECONFLICT_SKIP_CHECK=1)."
    )
    return "\n".join(lines)


def head_line(head: Checkpoint) -> str:
    """A signed head as an operator reads it: its size and base64 root."""
    return f"the head at size {head.size} (root {encode_base64(head.root_hash)})"


def held_to(head: HeadFile | None, signed: Checkpoint | None) -> str:
    """What a check or a rebuild held the record to: the signed head in its file, if any."""
    if head is None:
        return "no log key yet, so no signed head to hold it to"
    if signed is None:
        return f"no head signed yet in {head.path}"
    return f"{head_line(signed)} in {head.path}"


def consistent_line(db: str, report: Report, head: HeadFile | None) -> str:
    """What a check that found nothing says."""
    against = held_to(head, report.head)
    return (
        f"{db} matches its record: {report.size} entries; {against};"
        f" checked in {report.seconds:.2f} s.{partial_note(report)}"
    )


def partial_note(report: Report) -> str:
    """What a check bounded to the latest entries left out; empty for a full check."""
    if not report.first:
        return ""
    return (
        f" Rows were compared with the latest {report.size - report.first} entries only"
        f" (entries {report.first} to {report.size - 1}; every leaf and the head were checked);"
        " `deconflict db check` compares them all."
    )


def report_document(report: Report) -> dict[str, Any]:
    """The report as JSON: size, head, findings (entry, row, what), seconds."""
    return {
        "consistent": report.consistent,
        "entries": report.size,
        "rows_compared_from": report.first,
        "head": None if report.head is None else report.head.size,
        "findings": [{"entry": f.entry, "row": f.row, "what": f.what} for f in report.findings],
        "seconds": round(report.seconds, 3),
    }
