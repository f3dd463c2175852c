"""The PostgreSQL store runs the shared qmark SQL: each `?` becomes `%s`, or it refuses."""

from __future__ import annotations

import pytest

from deconflict.store.postgres.qmark import to_format


@pytest.mark.parametrize(
    ("qmark", "expected"),
    [
        (
            "SELECT document FROM volume WHERE feature_id = ?",
            "SELECT document FROM volume WHERE feature_id = %s",
        ),
        (
            "INSERT INTO event (party, kind) VALUES (?, ?)",
            "INSERT INTO event (party, kind) VALUES (%s, %s)",
        ),
        (
            "SELECT id FROM event WHERE id > ? ORDER BY id LIMIT ?",
            "SELECT id FROM event WHERE id > %s ORDER BY id LIMIT %s",
        ),
        (
            "UPDATE token SET revoked_at = ? WHERE (CAST(? AS TEXT) IS NULL OR id = ?)",
            "UPDATE token SET revoked_at = %s WHERE (CAST(%s AS TEXT) IS NULL OR id = %s)",
        ),
        (
            "UPDATE notice SET response = coalesce(?, response) WHERE id=?",
            "UPDATE notice SET response = coalesce(%s, response) WHERE id=%s",
        ),
        (
            "SELECT ?::text, 'no placeholder', \"quoted name\" WHERE x <= ?",
            "SELECT %s::text, 'no placeholder', \"quoted name\" WHERE x <= %s",
        ),
        ("SELECT 'it''s' WHERE a = ? AND b = ?", "SELECT 'it''s' WHERE a = %s AND b = %s"),
        ("SELECT count(*) FROM volume", "SELECT count(*) FROM volume"),
    ],
)
def test_each_qmark_placeholder_becomes_psycopgs(qmark: str, expected: str) -> None:
    assert to_format(qmark) == expected


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM volume WHERE feature_id LIKE 'a%' AND party = ?",
        "SELECT id FROM volume WHERE feature_id = %s",
        "SELECT $1, ?",
        "SELECT $$?$$",
        "SELECT E'\\'?' WHERE a = ?",
        "SELECT id FROM volume WHERE document ? 'key'",
        "SELECT id FROM volume WHERE document::jsonb ? ?",
        "SELECT id FROM volume WHERE (document::jsonb) ? 'key'",
        "SELECT id FROM volume WHERE document::jsonb ?| array['a', 'b']",
        "SELECT id FROM volume WHERE document::jsonb ?& ?",
        "SELECT id FROM volume WHERE feature_id = '?'",
        'SELECT "odd?name" FROM volume WHERE feature_id = ?',
        "SELECT id FROM volume -- why ?\n WHERE feature_id = ?",
        "SELECT id FROM volume /* ? */ WHERE feature_id = ?",
        "SELECT id FROM volume WHERE feature_id = ?1",
        "SELECT id FROM volume WHERE feature_id = ?name",
    ],
)
def test_sql_it_cannot_turn_safely_is_refused(sql: str) -> None:
    with pytest.raises(ValueError):
        to_format(sql)
