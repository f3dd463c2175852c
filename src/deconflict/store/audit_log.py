"""The check of the log itself: leaves against their stored hashes, the tree, the head, openings.

Every leaf is hashed again and compared with its level-0 node; the whole tree
is rebuilt from those hashes and every stored node compared with it; the
signed head (store/head.py) must be a prefix of the log; every opening must
hold its commitment, and every commitment in an entry must have its opening.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from deconflict.line.entries import Readers
from deconflict.record import merkle
from deconflict.record.note import Checkpoint
from deconflict.record.sealed import Opening, commitments_in
from deconflict.store.audit_tables import Leaf, Tables


@dataclass(frozen=True)
class Finding:
    """One difference between the store and its record: which entry, which row, what."""

    entry: str
    row: str
    what: str

    def __str__(self) -> str:
        return f"{self.entry}; {self.row}: {self.what}"


def shortened(value: Any) -> str:
    """A value as a finding shows it: JSON, cut to 80 characters."""
    text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= 80 else f"{text[:77]}..."


@dataclass(frozen=True)
class Opened:
    """An entry of the log read with every opening: its index and the entry as opened."""

    index: int
    entry: dict[str, Any]
    readers: Readers


@dataclass(frozen=True)
class LogCheck:
    """The log as checked: its size, the first entry opened, its tree, its opened entries, and
    what was wrong."""

    size: int
    first: int
    tree: merkle.MemoryTree
    entries: list[Opened]
    findings: list[Finding]


def check_log(tables: Tables) -> LogCheck:
    """Check every leaf and node; check the openings of, and open, every entry that parses
    from `tables.first` on."""
    findings: list[Finding] = []
    size = tables.leaves[-1].index + 1 if tables.leaves else 0
    first = tables.first
    by_index = {leaf.index: leaf for leaf in tables.leaves}
    hashes = []
    entries = []
    for index in range(size):
        leaf = by_index.get(index)
        stored = tables.nodes.get((0, index))
        if leaf is None:
            findings.append(Finding(f"entry {index}", f"table log_leaf, idx {index}", "no row"))
            hashes.append(stored or bytes(merkle.HASH_SIZE))
            continue
        hashes.append(merkle.leaf_hash(leaf.data))
        findings += _leaf_findings(leaf, hashes[-1], stored)
        if index < first:
            continue
        read = _read_entry(leaf, tables.openings.get(index, []), findings)
        if read is not None:
            entries.append(read)
    tree = merkle.MemoryTree(hashes)
    findings += _node_findings(tree, tables.nodes)
    findings += _stray_openings(tables, size)
    return LogCheck(size, first, tree, entries, findings)


def check_head(head: Checkpoint, log: LogCheck, where: str) -> list[Finding]:
    """The head signed at `where` must be the log's, or a prefix of it."""
    if head.size > log.size:
        gone = f"{log.size}" if head.size == log.size + 1 else f"{log.size} to {head.size - 1}"
        return [
            Finding(
                f"entry {head.size - 1}",
                f"table log_leaf, idx {gone}",
                f"no rows: the record holds {log.size} entries, but the head signed in {where}"
                f" holds {head.size} (the log was truncated)",
            )
        ]
    if head.size and log.tree.root(head.size) != head.root_hash:
        return [
            Finding(
                f"entries 0 to {head.size - 1}",
                "table log_leaf",
                f"the first {head.size} entries do not hash to the root signed in {where}",
            )
        ]
    return []


def _leaf_findings(leaf: Leaf, digest: bytes, stored: bytes | None) -> list[Finding]:
    row = f"table log_leaf, idx {leaf.index}"
    if stored is None:
        return [
            Finding(f"entry {leaf.index}", f"table log_node, level 0, idx {leaf.index}", "no row")
        ]
    if stored != digest:
        return [
            Finding(
                f"entry {leaf.index}",
                f"{row}, column entry",
                "the entry's bytes do not hash to the leaf hash stored when it was appended"
                f" (table log_node, level 0, idx {leaf.index})",
            )
        ]
    return []


def _read_entry(
    leaf: Leaf, openings: list[tuple[Opening, Readers]], findings: list[Finding]
) -> Opened | None:
    """The entry opened with its openings, each checked; None (and a finding) if unreadable."""
    label = f"entry {leaf.index}"
    row = f"table log_leaf, idx {leaf.index}"
    try:
        entry = json.loads(leaf.data)
    except ValueError:
        findings.append(Finding(label, f"{row}, column entry", "not JSON"))
        return None
    if not isinstance(entry, dict):
        findings.append(Finding(label, f"{row}, column entry", "not a JSON object"))
        return None
    for column, value in (("kind", leaf.kind), ("at", leaf.at)):
        if entry.get(column) != value:
            findings.append(
                Finding(
                    f"{label} ({entry.get('kind')})",
                    f"{row}, column {column}",
                    f"the row holds {value!r}, the entry {entry.get(column)!r}",
                )
            )
    wanted = commitments_in(entry)
    holding = []
    for opening, readers in openings:
        opening_row = f"table log_opening, idx {leaf.index}, commitment {opening.commitment}"
        if not opening.holds():
            findings.append(
                Finding(label, opening_row, "the salt and value do not hash to the commitment")
            )
        elif opening.commitment not in wanted:
            findings.append(Finding(label, opening_row, "the entry holds no such commitment"))
        else:
            holding.append((opening, readers))
    held = {opening.commitment for opening, _ in openings}
    for commitment in wanted:
        if commitment not in held:
            findings.append(
                Finding(
                    f"{label} ({entry.get('kind')})",
                    f"table log_opening, idx {leaf.index}, commitment {commitment}",
                    "no row: the entry's sealed part cannot be opened",
                )
            )
    return _opened(leaf.index, entry, holding)


def _opened(index: int, entry: dict[str, Any], holding: list[tuple[Opening, Readers]]) -> Opened:
    """The entry with its sealed part's fields in place of its commitment, from the openings
    that hold (checked once, above: `record.sealed.opened` would hash each again)."""
    for opening, readers in holding:
        if opening.commitment == entry.get("sealed") and isinstance(opening.value, dict):
            view = {k: v for k, v in entry.items() if k != "sealed"}
            return Opened(index, view | opening.value, readers)
    return Opened(index, entry, None)


def _node_findings(tree: merkle.MemoryTree, nodes: dict[tuple[int, int], bytes]) -> list[Finding]:
    """Every stored node against the tree rebuilt from the leaves; nodes missing or beyond it."""
    findings = []
    for (level, index), digest in sorted(nodes.items()):
        first, last = index << level, ((index + 1) << level) - 1
        if last >= tree.size:
            findings.append(
                Finding(
                    f"entry {last}",
                    f"table log_node, level {level}, idx {index}",
                    f"a node over entries {first} to {last}, beyond the log's {tree.size}"
                    " entries (a leaf deleted from the end?)",
                )
            )
        elif tree.node(level, index) != digest and level > 0:
            findings.append(
                Finding(
                    f"entries {first} to {last}",
                    f"table log_node, level {level}, idx {index}",
                    "the stored hash is not the hash of the leaves below it",
                )
            )
    for level, index in _complete_nodes(tree.size):
        if (level, index) not in nodes and level > 0:
            findings.append(
                Finding(
                    f"entries {index << level} to {((index + 1) << level) - 1}",
                    f"table log_node, level {level}, idx {index}",
                    "no row",
                )
            )
    return findings


def _complete_nodes(size: int) -> list[tuple[int, int]]:
    """Every perfect subtree a log of `size` leaves has completed: (level, index)."""
    nodes = []
    level = 0
    while (1 << level) <= size:
        nodes += [(level, index) for index in range(size >> level)]
        level += 1
    return nodes


def _stray_openings(tables: Tables, size: int) -> list[Finding]:
    return [
        Finding(f"entry {index}", f"table log_opening, idx {index}", "no entry for this opening")
        for index in sorted(tables.openings)
        if index >= size
    ]
