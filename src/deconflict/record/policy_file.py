"""A party's witness policy written in a file: which witnesses it requires, with their keys, and
how many of them must cosign. The syntax is that of sigsum's policy files (one item per line,
`#` comments), for the witnesses and the quorum:

    # Both sides' witnesses; either one's cosignature is enough.
    witness coalition.example/witness coalition.example/witness+1a2b3c4d+BF...
    witness russia.example/witness 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    group sides 1 coalition.example/witness russia.example/witness
    quorum sides

`witness NAME KEY [URL]`: KEY is the witness key of that name, the base64 of its 32-byte
public key, or its 64 hex digits (as sigsum writes keys); the URL is allowed and not used.
Unlike sigsum's, NAME is the witness's own name, the one its cosignature lines carry (its key
ID is made of it). A name given twice is one witness with two keys (while it changes its
key); it counts once. `group NAME K|any|all MEMBER...`: at least K of the member witnesses
(`any` is 1, `all` every one). `quorum NAME`: exactly one, naming a witness or a group
defined on an earlier line; `quorum none` requires no witness. A group of groups and `log`
lines are not read here (the record's key is given on its own, `--log-key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deconflict.record.cosignature import CosignatureVerifier, WitnessPolicy
from deconflict.record.errors import RecordError

NO_QUORUM = "none"


@dataclass(frozen=True)
class _Group:
    members: tuple[str, ...]
    required: int


class _Reading:
    """What the lines read so far define."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.keys: dict[str, list[CosignatureVerifier]] = {}
        self.groups: dict[str, _Group] = {}
        self.quorum: str | None = None

    def refuse(self, number: int, why: str) -> RecordError:
        where = f"{self.source} line {number}"
        return RecordError(f"{where}: {why}", field="witness_policy", value=where)

    def read(self, number: int, words: list[str]) -> None:
        keyword, arguments = words[0], words[1:]
        if keyword == "witness":
            self.witness(number, arguments)
        elif keyword == "group":
            self.group(number, arguments)
        elif keyword == "quorum":
            self.quorum_line(number, arguments)
        elif keyword == "log":
            raise self.refuse(number, "a log line is not read here: give the record's key itself")
        else:
            raise self.refuse(number, f"{keyword!r} is not witness, group or quorum")

    def witness(self, number: int, arguments: list[str]) -> None:
        if len(arguments) not in (2, 3):
            raise self.refuse(number, "a witness line reads: witness NAME KEY [URL]")
        name, key = arguments[:2]
        if name in self.groups or name == NO_QUORUM:
            raise self.refuse(number, f"{name!r} already names a group")
        try:
            verifier = CosignatureVerifier.from_flag(f"{name}={key}")
        except RecordError as error:
            raise self.refuse(number, error.message) from None
        self.keys.setdefault(name, []).append(verifier)

    def group(self, number: int, arguments: list[str]) -> None:
        if len(arguments) < 3:
            raise self.refuse(number, "a group line reads: group NAME K|any|all MEMBER...")
        name, count, members = arguments[0], arguments[1], tuple(arguments[2:])
        if name in self.keys or name in self.groups or name == NO_QUORUM:
            raise self.refuse(number, f"{name!r} is already defined")
        for member in members:
            if member in self.groups:
                raise self.refuse(number, f"{member!r} is a group: a group's members are witnesses")
            if member not in self.keys:
                raise self.refuse(number, f"{member!r} is no witness defined on an earlier line")
        if len(set(members)) != len(members):
            raise self.refuse(number, "a group names each member once")
        required = {"any": 1, "all": len(members)}.get(count)
        if required is None:
            if not count.isdigit() or not 1 <= int(count) <= len(members):
                raise self.refuse(
                    number, f"{count!r}: K is any, all or a number from 1 to {len(members)}"
                )
            required = int(count)
        self.groups[name] = _Group(members, required)

    def quorum_line(self, number: int, arguments: list[str]) -> None:
        if self.quorum is not None:
            raise self.refuse(number, "a policy has one quorum line")
        if len(arguments) != 1:
            raise self.refuse(number, "a quorum line reads: quorum NAME")
        (name,) = arguments
        if name != NO_QUORUM and name not in self.keys and name not in self.groups:
            raise self.refuse(number, f"{name!r} is no witness or group defined on an earlier line")
        self.quorum = name

    def policy(self, lines: int) -> WitnessPolicy | None:
        if self.quorum is None:
            raise self.refuse(lines, "the policy has no quorum line (quorum NAME)")
        if self.quorum == NO_QUORUM:
            return None
        group = self.groups.get(self.quorum, _Group((self.quorum,), 1))
        keys = tuple(key for member in group.members for key in self.keys[member])
        return WitnessPolicy(keys, group.required)


def parse_witness_policy(text: str, source: str = "the witness policy") -> WitnessPolicy | None:
    """The policy a policy file's text states; None for `quorum none`. RecordError naming
    `source` and the line at fault (field `witness_policy`) for anything it cannot read."""
    reading = _Reading(source)
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        words = line.partition("#")[0].split()
        if words:
            reading.read(number, words)
    return reading.policy(max(1, len(lines)))


def read_witness_policy(path: Path) -> WitnessPolicy | None:
    """The policy of the file at `path`, as `parse_witness_policy` reads it (give it to
    `Client(witnesses=...)`); RecordError naming the file when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        why = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        told = f"{path}: cannot read the witness policy: {why}"
        raise RecordError(told, field="witness_policy", value=str(path)) from None
    return parse_witness_policy(text, str(path))
