"""`deconflict party`: registering parties and handling their tokens."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from deconflict.line.parties import Role, authenticate, hash_token
from deconflict.store.sqlite import SqliteStore
from tests.conftest import run_cli


def _add(db: Path, party: str = "coalition", *extra: str) -> dict[str, str]:
    result = run_cli(
        "party", "add", party, "--name", "Coalition", "--db", str(db), "--json", *extra
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_party_add_prints_an_admin_token_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    issued = _add(db, "coalition", "--lang", "ru", "--contact", "duty officer, ch. 16")
    token = issued["token"]
    assert issued["role"] == "admin" and token.startswith("dcf_")
    raw = sqlite3.connect(db).execute("SELECT hash FROM token").fetchall()
    assert raw == [(hash_token(token),)]
    assert token.encode() not in db.read_bytes()
    store = SqliteStore(db)
    party = store.party("coalition")
    assert party is not None and (party.language, party.contact) == ("ru", "duty officer, ch. 16")
    credential = authenticate(store, token)
    assert credential is not None and (credential.party_id, credential.role) == (
        "coalition",
        Role.ADMIN,
    )


def test_second_token_carries_the_role_asked_for(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    _add(db)
    result = run_cli("party", "token", "coalition", "--role", "duty", "--db", str(db), "--json")
    token = json.loads(result.stdout)["token"]
    credential = authenticate(SqliteStore(db), token)
    assert credential is not None and credential.role is Role.DUTY


def test_revoked_token_no_longer_authenticates_and_others_still_do(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    first = _add(db)["token"]
    second = json.loads(run_cli("party", "token", "coalition", "--db", str(db), "--json").stdout)
    token_id = second["token"].split("_")[1]
    result = run_cli(
        "party", "revoke", "coalition", "--token-id", token_id, "--db", str(db), "--json"
    )
    assert json.loads(result.stdout) == {"party": "coalition", "revoked": 1}
    store = SqliteStore(db)
    assert authenticate(store, second["token"]) is None
    assert authenticate(store, first) is not None


def test_revoke_without_token_id_revokes_every_token(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    token = _add(db)["token"]
    assert run_cli("party", "revoke", "coalition", "--db", str(db)).returncode == 0
    assert authenticate(SqliteStore(db), token) is None


def test_db_path_comes_from_the_environment_when_no_flag(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from deconflict.cli import main; main()",
            "party",
            "add",
            "aid",
            "--name",
            "Aid agency",
        ],
        capture_output=True,
        text=True,
        env={"DECONFLICT_DB": str(db), "PATH": "/usr/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert SqliteStore(db).party("aid") is not None


def test_bad_registrations_exit_two_naming_the_field(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    _add(db)
    cases = [
        (["party", "add", "Bad Id", "--name", "x"], "field 'id'"),
        (["party", "add", "other", "--name", "x", "--lang", "fr"], "field 'language'"),
        (["party", "add", "coalition", "--name", "again"], "exists already"),
        (["party", "token", "nobody"], "no such party"),
        (["party", "revoke", "coalition", "--token-id", "ffffffff"], "no such live token"),
    ]
    for args, expected in cases:
        result = run_cli(*args, "--db", str(db))
        assert result.returncode == 2, args
        assert expected in result.stderr, (args, result.stderr)


def test_unknown_or_malformed_tokens_do_not_authenticate(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "line.db")
    assert authenticate(store, "dcf_00000000_nothing") is None
    assert authenticate(store, "Bearer something") is None
