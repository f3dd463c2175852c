"""`deconflict evidence`: who warned whom in the At Tanf story, proven to a third party offline.

The demo line tells the story once; each side exports the evidence of the strike notice the
coalition objected to, through the CLI, and the line is stopped: every check from there on
runs in a child process with nothing but the file and the line's key.
"""

from __future__ import annotations

import base64
import copy
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console

from deconflict.demo import OBJECTION_TEXT, run_demo
from deconflict.record.canonical import canonical_bytes
from deconflict.record.cosignature import Cosigner
from deconflict.record.note import NoteSigner, note_signatures, sign_note
from deconflict.record.sealed import Opening, new_salt
from tests.api.conftest import start_server
from tests.conftest import run_cli


@dataclass(frozen=True)
class Story:
    """The demo line's evidence of the objected strike notice, from each side, and its key."""

    notice: int
    amended_notice: int
    files: dict[str, Path]
    log_key: str


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    folder = tmp_path_factory.mktemp("at-tanf")
    db = folder / "demo.db"
    result = run_demo(db=db, console=Console(file=io.StringIO()))
    line = start_server(db, result.tokens)
    try:
        with line.client("coalition") as coalition:
            log_key = coalition.get("/v1/log/key").text.strip()
            notices = coalition.get("/v1/inbox").json()["notices"]
        strike_2 = {n["version"]: n["id"] for n in notices if n["feature"] == "strike-2"}
        files = {}
        for party in ("russia", "coalition"):
            files[party] = folder / f"{party}.evidence.json"
            exported = run_cli(
                *("evidence", str(strike_2[1]), "--out", str(files[party])),
                *("--server", line.url, "--token", result.tokens[party], "--log-key", log_key),
            )
            assert exported.returncode == 0, exported.stderr
        neither = run_cli(
            *("evidence", str(strike_2[1]), "--out", str(folder / "aid.json")),
            *("--server", line.url, "--token", result.tokens["aid"]),
        )
        assert neither.returncode == 2, neither.stderr
        assert "404" in neither.stderr and not (folder / "aid.json").exists()
    finally:
        line.stop()  # offline from here on
    return Story(strike_2[1], strike_2[2], files, log_key)


def verify(story: Story, path: Path, *flags: str) -> Any:
    return run_cli("evidence", "verify", str(path), "--log-key", story.log_key, *flags)


def document(story: Story, party: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(story.files[party].read_text())
    return loaded


def write(tmp_path: Path, evidence: dict[str, Any]) -> Path:
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(evidence))
    return path


def opened_entries(evidence: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each file entry with the entry it opens to (its leaf's fields with its sealed part's)."""
    found = []
    for item in evidence["entries"]:
        entry = json.loads(base64.b64decode(item["leaf"]))
        for opening in item.get("openings", []):
            if opening["commitment"] == entry.get("sealed"):
                entry = {**entry, **opening["value"]}
        found.append((item, entry))
    return found


def the_objection(evidence: dict[str, Any]) -> dict[str, Any]:
    return next(
        item for item, entry in opened_entries(evidence) if entry.get("code") == "objection"
    )


@pytest.mark.parametrize("party", ["russia", "coalition"])
def test_the_strike_notice_objection_and_amendment_are_proven_from_each_sides_file(
    story: Story, party: str
) -> None:
    proven = verify(story, story.files[party])
    assert proven.returncode == 0, proven.stderr
    told = " ".join(proven.stdout.split())
    assert f"sends notice {story.notice} to Coalition (CJTF-OIR) about strike-2, version 1" in told
    assert f"Coalition (CJTF-OIR) objects to notice {story.notice}" in told
    assert OBJECTION_TEXT in told
    assert "amends activity strike-2: version 2" in told
    assert f"sends notice {story.amended_notice} to Coalition (CJTF-OIR)" in told
    assert f"Coalition (CJTF-OIR) acknowledges notice {story.amended_notice}" in told
    assert "Not in the record, so not proven here" in told


def test_both_sides_files_prove_the_same_entries(story: Story) -> None:
    indexes = {
        party: [entry["index"] for entry in document(story, party)["entries"]]
        for party in story.files
    }
    assert indexes["russia"] == indexes["coalition"]


def test_the_timeline_is_told_in_the_arbiters_language(story: Story) -> None:
    russian = verify(story, story.files["coalition"], "--lang", "ru")
    assert russian.returncode == 0, russian.stderr
    assert "возражает" in russian.stdout or "Возражение" in russian.stdout
    assert "Лист" in russian.stdout and "Кто" in russian.stdout
    arabic = verify(story, story.files["russia"], "--lang", "ar")
    assert arabic.returncode == 0, arabic.stderr
    assert "مَن" in arabic.stdout and "اعتراض" in arabic.stdout


def test_the_objections_text_changed_is_refused_naming_its_entry(
    story: Story, tmp_path: Path
) -> None:
    evidence = document(story, "coalition")
    objection = the_objection(evidence)
    for opening in objection["openings"]:
        if "free_text" in opening["value"]:
            opening["value"]["free_text"] = "No forces in the zone."
    refused = verify(story, write(tmp_path, evidence))
    assert refused.returncode == 1
    assert f"entry {objection['index']}" in refused.stderr
    assert "does not match its commitment" in refused.stderr


def test_an_objection_forged_whole_is_refused_naming_its_entry(
    story: Story, tmp_path: Path
) -> None:
    """A forger re-seals a changed objection under a salt of its own: the opening matches the
    new leaf, but the leaf is not the one the line's checkpoint signs."""
    evidence = document(story, "russia")
    objection = the_objection(evidence)
    entry = json.loads(base64.b64decode(objection["leaf"]))
    [sealed] = [o for o in objection["openings"] if o["commitment"] == entry["sealed"]]
    forged = Opening.of({**sealed["value"], "free_text": "No objection."}, new_salt())
    entry["sealed"] = forged.commitment
    objection["leaf"] = base64.b64encode(canonical_bytes(entry)).decode()
    objection["openings"] = [forged.document()]
    refused = verify(story, write(tmp_path, evidence))
    assert refused.returncode == 1
    assert f"entry {objection['index']} is not in the record the checkpoint signs" in (
        refused.stderr
    )


def test_a_reordered_entry_is_refused_naming_it(story: Story, tmp_path: Path) -> None:
    evidence = document(story, "coalition")
    entries = evidence["entries"]
    entries[5], entries[6] = entries[6], entries[5]
    refused = verify(story, write(tmp_path, evidence))
    assert refused.returncode == 1
    assert f"entry {entries[6]['index']} is out of order" in refused.stderr


def test_an_entry_moved_to_another_index_is_refused_naming_it(story: Story, tmp_path: Path) -> None:
    evidence = document(story, "coalition")
    first, second = evidence["entries"][5], evidence["entries"][6]
    first["leaf"], second["leaf"] = second["leaf"], first["leaf"]
    first["openings"], second["openings"] = second.get("openings"), first.get("openings")
    refused = verify(story, write(tmp_path, evidence))
    assert refused.returncode == 1
    assert f"entry {first['index']} is not in the record the checkpoint signs" in refused.stderr


def test_a_dropped_proof_node_is_refused_naming_the_entry(story: Story, tmp_path: Path) -> None:
    evidence = document(story, "russia")
    objection = the_objection(evidence)
    objection["proof"].pop(1)
    refused = verify(story, write(tmp_path, evidence))
    assert refused.returncode == 1
    assert f"entry {objection['index']} is not in the record" in refused.stderr


def test_a_checkpoint_signed_by_another_key_is_refused(story: Story, tmp_path: Path) -> None:
    evidence = document(story, "coalition")
    text, _ = note_signatures(evidence["checkpoint"])
    name = story.log_key.split("+", 1)[0]
    evidence["checkpoint"] = sign_note(text, NoteSigner(name, Ed25519PrivateKey.generate()))
    refused = verify(story, write(tmp_path, evidence))
    assert refused.returncode == 1
    assert "the evidence's checkpoint is not signed by the server key you trust" in refused.stderr


def test_an_opening_that_does_not_match_is_refused_naming_its_entry(
    story: Story, tmp_path: Path
) -> None:
    evidence = document(story, "russia")
    objection = the_objection(evidence)
    objection["openings"][0]["salt"] = base64.b64encode(bytes(32)).decode()
    refused = verify(story, write(tmp_path, evidence))
    assert refused.returncode == 1
    assert f"entry {objection['index']}: the opening" in refused.stderr


def test_a_file_labelled_with_another_notice_is_refused(story: Story, tmp_path: Path) -> None:
    evidence = copy.deepcopy(document(story, "coalition"))
    evidence["notice"] = story.notice + 1000
    refused = verify(story, write(tmp_path, evidence))
    assert refused.returncode == 1
    assert f"no entry of notice {story.notice + 1000} being sent" in refused.stderr


def test_an_entry_of_another_thread_is_refused_naming_it(story: Story, tmp_path: Path) -> None:
    """The amendment's notice is of the same thread; the file cut to it alone, labelled as the
    objected notice, holds entries of a notice that is not sent in it."""
    evidence = document(story, "coalition")
    kept = [
        (item, entry)
        for item, entry in opened_entries(evidence)
        if entry.get("notice") != story.notice or entry["kind"] != "notice"
    ]
    evidence["entries"] = [item for item, _ in kept]
    evidence["notice"] = story.amended_notice
    stray = next(item for item, entry in kept if entry.get("notice") == story.notice)
    refused = verify(story, write(tmp_path, evidence))
    assert refused.returncode == 1
    assert f"entry {stray['index']} (" in refused.stderr


def test_an_unreadable_file_or_key_is_bad_input(story: Story, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert verify(story, garbage).returncode == 2
    assert verify(story, tmp_path / "missing.json").returncode == 2
    assert (
        run_cli(
            "evidence", "verify", str(story.files["russia"]), "--log-key", "not-a-key"
        ).returncode
        == 2
    )
    assert verify(story, story.files["russia"], "--witness", "nameless").returncode == 2
    assert verify(story, story.files["russia"], "--lang", "fr").returncode == 2


def test_a_witness_required_but_absent_is_refused(story: Story) -> None:
    key = Cosigner("w.example/c", Ed25519PrivateKey.generate()).verifier.to_text()
    refused = verify(story, story.files["russia"], "--witness", f"w.example/c={key}")
    assert refused.returncode == 1
    assert "cosigned by 0 of the 1 witnesses required" in refused.stderr
