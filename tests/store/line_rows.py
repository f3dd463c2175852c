"""The rows of a store a rebuild must give back, in forms that compare by meaning.

Every column the record decides (or the rebuild copies) is read, by key; a
stored feature's GeoJSON and a message's parameters are compared as JSON
values (a radius written 2000 is the one written 2000.0). Generated row ids of
volumes and probes are left out: nothing refers to them.
"""

from __future__ import annotations

import json
from typing import Any

from tests.backends import run_sql

_READS = {
    "party": "SELECT id, name, language, contact, escalation_contact, created_at, public_key"
    " FROM party ORDER BY id",
    "volume": "SELECT party, feature_id, kind, document, version, share, cancelled_at,"
    " closed_at, ends_at_s FROM volume ORDER BY party, feature_id",
    "feature_version": "SELECT party, feature_id, version, change, document, recorded_at, share"
    " FROM feature_version ORDER BY party, feature_id, version",
    "notice": "SELECT id, feature_id, feature_version, sender, recipient, priority, state,"
    " sent_at, respond_by, respond_by_s, conflicts, response, overdue_at, withheld, changed_at"
    " FROM notice ORDER BY id",
    "message": "SELECT id, notice_id, code, params, sender, at, text FROM message ORDER BY id",
    "probe": "SELECT party, at_s FROM probe ORDER BY party, at_s",
    "token": "SELECT id, hash, party_id, role, created_at, revoked_at FROM token ORDER BY id",
    "event": "SELECT id, party, kind, payload, at FROM event ORDER BY id",
    "idempotency": "SELECT party, key, fingerprint, result FROM idempotency ORDER BY party, key",
    "utm_entity": "SELECT kind, id, document, subscription_id, notified, t0, t1, alt0, alt1, x0,"
    " x1, y0, y1, z0, z1 FROM utm_entity ORDER BY kind, id",
    "utm_availability": "SELECT uss, availability, version FROM utm_availability ORDER BY uss",
    "log_leaf": "SELECT idx, kind, entry, at FROM log_leaf ORDER BY idx",
    "log_node": "SELECT level, idx, hash FROM log_node ORDER BY level, idx",
    "log_opening": "SELECT idx, commitment, salt, value, readers FROM log_opening"
    " ORDER BY idx, commitment",
}
_JSON_COLUMNS = {
    "volume": (3,),
    "feature_version": (4,),
    "notice": (10,),
    "message": (3,),
    "utm_entity": (2,),
}


def line_rows(db: str, tables: tuple[str, ...] = tuple(_READS)) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of `tables` in `db`, JSON columns parsed and bytes as bytes."""
    return {table: [_plain(table, row) for row in run_sql(db, _READS[table])] for table in tables}


def _plain(table: str, row: tuple[Any, ...]) -> tuple[Any, ...]:
    values = [bytes(v) if isinstance(v, memoryview) else v for v in row]
    for column in _JSON_COLUMNS.get(table, ()):
        values[column] = json.loads(values[column])
    return tuple(values)
