"""Specification of signed notes and checkpoints (C2SP signed-note and tlog-checkpoint)."""

from __future__ import annotations

import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.errors import InvalidCheckpoint, InvalidSignature, RecordError
from deconflict.record.merkle import MemoryTree, leaf_hash
from deconflict.record.note import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    generate_signer,
    load_signer,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
)

# The example of golang.org/x/mod/sumdb/note: another implementation's key, text and note.
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ORIGIN = "deconflict.example/log"


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


def go_signer() -> NoteSigner:
    seed = decode_base64(GO_SIGNER_KEY.split("+", 4)[4])
    assert seed is not None and seed[0] == 1
    return NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed[1:]))


def test_our_note_is_byte_for_byte_the_go_reference_note() -> None:
    signer = go_signer()
    assert signer.verifier.to_text() == GO_VERIFIER_KEY
    assert sign_note(GO_TEXT, signer) == GO_NOTE
    assert open_note(GO_NOTE, [NoteVerifier.from_text(GO_VERIFIER_KEY)]) == (
        GO_TEXT,
        ["PeterNeumann"],
    )


def test_the_key_id_is_the_first_four_bytes_of_sha256_of_name_newline_type_and_key() -> None:
    signer = go_signer()
    public_key = signer.verifier.public_key
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + public_key).digest()[:4]
    assert signer.verifier.key_id == expected == bytes.fromhex("c74f20a3")
    assert signer.verifier.to_text() == "+".join(
        ["PeterNeumann", expected.hex(), encode_base64(b"\x01" + public_key)]
    )
    signature = decode_base64(sign_note("a\n", signer).split(" ")[-1].strip())
    assert signature is not None and signature[:4] == expected and len(signature) == 68


def test_sign_then_open_gives_the_text_and_the_signer(signer: NoteSigner) -> None:
    text = "first line\n\nafter an empty line\n"
    note = sign_note(text, signer)
    assert note.startswith(text + "\n— " + ORIGIN + " ")
    assert open_note(note, [signer.verifier]) == (text, [ORIGIN])
    assert open_note(note.encode(), [signer.verifier]) == (text, [ORIGIN])


def test_a_note_signed_by_two_keys_names_each_known_one(signer: NoteSigner) -> None:
    witness = NoteSigner("witness.example", Ed25519PrivateKey.generate())
    note = sign_note("text\n", signer) + witness.signature_line("text\n")
    assert open_note(note, [signer.verifier, witness.verifier])[1] == [ORIGIN, "witness.example"]
    assert open_note(note, [witness.verifier])[1] == ["witness.example"]


def test_a_tampered_text_is_refused(signer: NoteSigner) -> None:
    note = sign_note("size 10\n", signer)
    with pytest.raises(InvalidSignature, match="does not verify"):
        open_note(note.replace("10", "11"), [signer.verifier])


def test_a_tampered_signature_is_refused(signer: NoteSigner) -> None:
    text, line = sign_note("hello\n", signer).split("\n\n")
    prefix, signature_b64 = line.rstrip("\n").rsplit(" ", 1)
    signature = bytearray(decode_base64(signature_b64) or b"")
    signature[10] ^= 0x01
    tampered = f"{text}\n\n{prefix} {encode_base64(bytes(signature))}\n"
    with pytest.raises(InvalidSignature, match="does not verify"):
        open_note(tampered, [signer.verifier])


def test_a_signature_by_an_unknown_key_is_ignored_and_alone_refused(signer: NoteSigner) -> None:
    stranger = NoteSigner("stranger.example", Ed25519PrivateKey.generate())
    with pytest.raises(InvalidSignature, match="no signature from a known key"):
        open_note(sign_note("hello\n", stranger), [signer.verifier])


def test_another_key_under_the_same_name_is_not_the_known_key(signer: NoteSigner) -> None:
    impostor = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(InvalidSignature, match="no signature from a known key"):
        open_note(sign_note("hello\n", impostor), [signer.verifier])


def test_a_known_key_with_a_bad_signature_spoils_the_note(signer: NoteSigner) -> None:
    # The first line is ours, forged; the second a valid one from another known key.
    other = NoteSigner("other.example", Ed25519PrivateKey.generate())
    forged = signer.signature_line("something else\n")
    note = "hello\n\n" + forged + other.signature_line("hello\n")
    with pytest.raises(InvalidSignature, match=re.escape(f"signature of {ORIGIN} does not verify")):
        open_note(note, [signer.verifier, other.verifier])


@pytest.mark.parametrize(
    ("note", "problem"),
    [
        ("hello\n— k AAAA\n", "no blank line"),
        ("hello\n\n", "no signature lines"),
        ("hello\n\n— k AAAAAAA=", "newline"),
        ("hello\n\n- k AAAAAAA=\n", "em dash"),
        ("hello\n\n— k not-base64\n", "no base64"),
        ("hello\n\n— k AAAA\n", "no base64"),
        ("hello\n\n—  AAAAAAA=\n", "no valid key name"),
        ("hello\n\n— a+b AAAAAAA=\n", "no valid key name"),
        ("hel\tlo\n\n— k AAAAAAA=\n", "control character"),
        ("hello\r\n\n— k AAAAAAA=\n", "control character"),
        (b"hell\xff\n\n\xe2\x80\x94 k AAAAAAA=\n", "UTF-8"),
        ("hello\n\n" + "— k AAAAAAA=\n" * 101, "more than 100"),
    ],
)
def test_a_malformed_note_is_refused_saying_why(
    signer: NoteSigner, note: str | bytes, problem: str
) -> None:
    with pytest.raises(InvalidSignature, match=f"malformed note: .*{problem}"):
        open_note(note, [signer.verifier])


@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n", "\ud800\n"])
def test_text_that_no_note_can_hold_is_not_signed(signer: NoteSigner, text: str) -> None:
    with pytest.raises(RecordError, match="cannot sign"):
        sign_note(text, signer)


def test_the_verifier_key_string_round_trips(signer: NoteSigner) -> None:
    text = signer.verifier.to_text()
    assert NoteVerifier.from_text(text) == signer.verifier
    assert NoteVerifier.from_text(text).to_text() == text


def test_a_verifier_key_whose_base64_holds_a_plus_is_read() -> None:
    # A key of the tests of transparency-dev/formats, note/note_cosigv1_test.go.
    vkey = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
    assert NoteVerifier.from_text(vkey).to_text() == vkey


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key ID
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",  # tampered key
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=",  # bad base64
        "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # type 0x02
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",  # short key
        "PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # short key ID
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_a_malformed_verifier_key_is_refused(vkey: str) -> None:
    with pytest.raises(RecordError):
        NoteVerifier.from_text(vkey)


def test_a_generated_signer_comes_with_its_verifier_key_and_pem() -> None:
    signer, vkey, pem = generate_signer(ORIGIN)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert NoteVerifier.from_text(vkey) == signer.verifier
    reloaded = load_signer(ORIGIN, pem)
    assert open_note(sign_note("hello\n", reloaded), [NoteVerifier.from_text(vkey)])[1] == [ORIGIN]
    assert "PRIVATE" not in repr(signer) and "private_key" not in repr(signer)


def test_a_checkpoint_signs_and_opens_with_its_exact_text(signer: NoteSigner) -> None:
    tree = MemoryTree(leaf_hash(bytes([i])) for i in range(5))
    checkpoint = Checkpoint(ORIGIN, tree.size, tree.root())
    note = sign_checkpoint(checkpoint, signer)
    assert note.startswith(f"{ORIGIN}\n5\n{encode_base64(tree.root())}\n\n— {ORIGIN} ")
    assert open_checkpoint(note, [signer.verifier], origin=ORIGIN) == checkpoint
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint


def test_a_checkpoint_of_another_log_is_refused(signer: NoteSigner) -> None:
    note = sign_checkpoint(Checkpoint("other.example/log", 1, bytes(32)), signer)
    with pytest.raises(InvalidCheckpoint, match=re.escape("other.example/log")):
        open_checkpoint(note, [signer.verifier], origin=ORIGIN)


def test_a_tampered_checkpoint_is_refused(signer: NoteSigner) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 7, bytes(32)), signer)
    with pytest.raises(InvalidSignature):
        open_checkpoint(note.replace("\n7\n", "\n8\n"), [signer.verifier])


def test_checkpoint_extension_lines_round_trip() -> None:
    text = f"{ORIGIN}\n3\n{encode_base64(bytes(32))}\nextension one\n"
    checkpoint = Checkpoint.from_text(text)
    assert checkpoint.extensions == ("extension one",)
    assert checkpoint.to_text() == text


ROOT_B64 = encode_base64(bytes(32))


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n3\n{ROOT_B64}",  # no final newline
        f"{ORIGIN}\n3\n",  # no root
        f"\n3\n{ROOT_B64}\n",  # empty origin
        f"{ORIGIN}\n03\n{ROOT_B64}\n",  # leading zero
        f"{ORIGIN}\n-1\n{ROOT_B64}\n",
        f"{ORIGIN}\n+3\n{ROOT_B64}\n",
        f"{ORIGIN}\n\u0663\n{ROOT_B64}\n",  # an Arabic-Indic three, which int() would take
        f"{ORIGIN}\n18446744073709551616\n{ROOT_B64}\n",  # 2**64
        f"{ORIGIN}\n3\n{encode_base64(bytes(31))}\n",
        f"{ORIGIN}\n3\n{ROOT_B64[:-2]}B=\n",  # not canonical base64
        f"{ORIGIN}\n3\n{ROOT_B64}\n\n",  # empty extension line
    ],
)
def test_a_malformed_checkpoint_is_refused(text: str) -> None:
    with pytest.raises(InvalidCheckpoint):
        Checkpoint.from_text(text)


def test_the_largest_size_a_checkpoint_holds_is_2_to_the_64_minus_1() -> None:
    text = f"{ORIGIN}\n18446744073709551615\n{ROOT_B64}\n"
    assert Checkpoint.from_text(text).size == 2**64 - 1
