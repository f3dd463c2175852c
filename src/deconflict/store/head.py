"""The head file: the latest checkpoint the line itself signed, kept outside the store's tables.

After every commit that wrote entries, the server signs the record's head and
writes it to a file of its own beside the log key (`<log key>.head`; a temporary
file fsynced and renamed over it, the folder fsynced after: a reader never sees
half a note, and a crash never brings back an older head than one a caller was
answered under). A store whose log is shorter than that head, or differs at that
size, has lost or changed entries the line already vouched for: the check
(store/audit.py) says so. The head may lag behind the log after a crash between
a commit and its write; it never runs ahead of it.

The head is written on a thread of its own (`HeadKeeper`) while the next
commits go on, and a commit's callers are answered only once a head that covers
it is on disk: every entry a 2xx vouched for is under the head file, and only
entries no caller was told of can lie beyond it after a crash. Commits that
land while a head is being written share the next one.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from deconflict.record.errors import RecordError
from deconflict.record.note import Checkpoint, open_checkpoint
from deconflict.store.files import held_exclusively, write_replacing
from deconflict.store.record_reads import LogKey

log = logging.getLogger("deconflict.store")


def head_path(log_key_path: Path) -> Path:
    """Where the head file of the log key at `log_key_path` lives: beside it, `.head` added."""
    return log_key_path.with_name(log_key_path.name + ".head")


class HeadUnreadable(RecordError):
    """The head file is there but is not a checkpoint of this record signed with its key."""


class HeadFile:
    """The head file at `path`, signed and checked with `key`."""

    def __init__(self, path: Path, key: LogKey) -> None:
        self.path = path
        self.key = key
        self._lock = threading.Lock()
        self._lock_path = path.with_name(path.name + ".lock")
        self._written = -1

    def read(self) -> Checkpoint | None:
        """The checkpoint in the file (its signature checked); None when there is no file."""
        try:
            note = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise HeadUnreadable(f"cannot read the head file {self.path}: {error}") from None
        try:
            return open_checkpoint(note, [self.key.signer.verifier], origin=self.key.origin)
        except RecordError as error:
            raise HeadUnreadable(
                f"the head file {self.path} is not a checkpoint signed with the log key: {error}"
            ) from None

    def write(self, note: str) -> None:
        """Replace the file with the signed note `note`, atomically and durably."""
        write_replacing(self.path, note.encode())

    def advance(self, log_size: Callable[[], int], checkpoint: Callable[[], str]) -> None:
        """After a commit: sign and write the head if the log grew since this process last did.

        The commit is already durable, so a failure here is logged, never raised:
        the head only lags (the next commit writes it), it never runs ahead.
        """
        # Another process on this store may be writing its head: each reads the log only once
        # the one before has written, so a head read earlier never lands over a later one.
        with self._lock:
            try:
                with held_exclusively(self._lock_path):
                    size = log_size()
                    if size > self._written:
                        # The note is of `size` leaves or more (the log only grows): the next
                        # commit writes again rather than check the signature just made.
                        self.write(checkpoint())
                        self._written = size
            except Exception:
                log.exception("could not write the head file %s", self.path)


class HeadKeeper:
    """Writes `head` on a thread of its own after commits, the log read with `log_size` and
    `checkpoint`, and answers each commit's callers once a head that covers it is written.

    A commit hands its answer over (`after`) and the committer goes on at once (the
    SQLite writer to its next batch): signing and writing the head, an fsync of its own,
    overlaps the next commit rather than follow it. Every answer handed over before a
    head is read waits for that head; those handed over while it is being written share
    the next one.
    """

    def __init__(
        self, head: HeadFile, log_size: Callable[[], int], checkpoint: Callable[[], str]
    ) -> None:
        self.head = head
        self._log_size = log_size
        self._checkpoint = checkpoint
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="deconflict-head", daemon=True)
        self._thread.start()

    def after(self, answer: Callable[[], None]) -> None:
        """Call `answer` once the head file covers every commit made so far."""
        self._queue.put(answer)

    def wait(self) -> None:
        """Return once the head file covers every commit made so far."""
        written = threading.Lock()
        written.acquire()
        self.after(written.release)
        written.acquire()

    def close(self) -> None:
        """Write the head for the commits handed over, answer them, and stop."""
        self._queue.put(None)
        self._thread.join(10)

    def _serve(self) -> None:
        stopping = False
        while not stopping:
            answers = [self._queue.get()]
            while True:
                try:
                    answers.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = None in answers
            self.head.advance(self._log_size, self._checkpoint)
            for answer in answers:
                if answer is not None:
                    try:
                        answer()
                    except Exception:
                        # One caller's answer failing must not stop the thread every later
                        # commit waits on.
                        log.exception("could not answer a commit under the head file")
