"""`deconflict party escalation`: the operator names where a party's overdue notices go."""

from __future__ import annotations

import json
from pathlib import Path

from deconflict.line.deliveries import new_secret
from tests.conftest import run_cli


def test_the_operator_adds_lists_and_removes_a_partys_destinations(tmp_path: Path) -> None:
    db = str(tmp_path / "line.db")
    assert (
        run_cli(
            "party", "add", "aid", "--name", "Aid agency", "--lang", "ar", "--db", db
        ).returncode
        == 0
    )
    made = run_cli(
        "party",
        "escalation",
        "add",
        "aid",
        "--webhook",
        "https://hooks.aid.example.org/x",
        "--db",
        db,
        "--json",
    )
    assert made.returncode == 0, made.stderr
    secret = json.loads(made.stdout)["secret"]
    assert secret.startswith("whsec_")
    given = new_secret()
    kept = run_cli(
        "party",
        "escalation",
        "add",
        "aid",
        "--webhook",
        "https://hooks.aid.example.org/y",
        "--secret",
        given,
        "--db",
        db,
    )
    assert kept.returncode == 0 and given not in kept.stdout
    mailed = run_cli(
        "party", "escalation", "add", "aid", "--email", "desk@aid.example.org", "--db", db, "--json"
    )
    assert json.loads(mailed.stdout)["destination"]["address"] == "desk@aid.example.org"

    listed = run_cli("party", "escalation", "list", "aid", "--db", db, "--json")
    found = json.loads(listed.stdout)["destinations"]
    assert [d["channel"] for d in found] == ["webhook", "webhook", "email"]
    assert secret not in listed.stdout and given not in listed.stdout

    assert (
        run_cli("party", "escalation", "remove", "aid", str(found[0]["id"]), "--db", db).returncode
        == 0
    )
    again = json.loads(run_cli("party", "escalation", "list", "aid", "--db", db, "--json").stdout)
    assert [d["id"] for d in again["destinations"]] == [found[1]["id"], found[2]["id"]]


def test_an_unusable_destination_is_bad_input(tmp_path: Path) -> None:
    db = str(tmp_path / "line.db")
    run_cli("party", "add", "aid", "--name", "Aid agency", "--db", db)
    for args in (
        ("--webhook", "http://hooks.example.org/x"),
        ("--email", "not an address"),
        ("--webhook", "https://hooks.example.org/x", "--email", "a@b.org"),
        (),
    ):
        refused = run_cli("party", "escalation", "add", "aid", *args, "--db", db)
        assert refused.returncode == 2, (args, refused.stderr)
    assert (
        run_cli("party", "escalation", "add", "nobody", "--email", "a@b.org", "--db", db).returncode
        == 2
    )
    assert run_cli("party", "escalation", "remove", "aid", "7", "--db", db).returncode == 2
    listed = json.loads(run_cli("party", "escalation", "list", "aid", "--db", db, "--json").stdout)
    assert listed["destinations"] == []
