"""Answers kept for every reader of the same version: the serialised body of a requirement, its
plan or its milestones, keyed by what the answer is of and its ETag.

The ETag already promises that an unchanged tag means an unchanged body (the 304s rely on it),
and these bodies do not depend on who reads them once the reader may see the requirement, only
on the language and time zone they are written in. So the second reader of an unchanged plan
in a meeting room gets the first reader's bytes after the access check, instead of the thirty
queries that built them. A changed requirement has a new tag: nothing is ever invalidated, old
entries simply stop being asked for and age out.

Two tiers. Each worker process keeps answers in memory, least recently used first out,
within a byte budget (TECHALIGN_KEPT_ANSWERS_MB, 0 to turn both tiers off); an answer larger
than a sixteenth of the budget is never kept, so one huge plan cannot empty it. Under
`techalign serve` the workers of the node also share what they built through one SQLite file
of that server's own (`NodeAnswers`, TECHALIGN_NODE_ANSWERS), so an answer built by one worker
serves readers that land on another. /metrics counts hits in the worker, hits from the node
and misses (`techalign_kept_answers_total`), for sizing the budgets.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Hashable
from pathlib import Path

from django.conf import settings
from prometheus_client import Counter

log = logging.getLogger(__name__)

ASKED = Counter(
    "techalign_kept_answers",
    "API answers looked up among the kept ones: hit (kept by this worker), node (kept by "
    "another worker of the node) or miss (built).",
    ["outcome"],
)
# Bound once, so all show from the start (at 0) and a lookup does not find its label again.
_HIT, _NODE, _MISS = ASKED.labels("hit"), ASKED.labels("node"), ASKED.labels("miss")


class NodeAnswers:
    """The answers a node's workers share: one SQLite file, first in first out within a byte
    budget.

    The file belongs to one server start (`techalign serve` makes it afresh), so an answer
    kept there was built by the code now running, from the database now served: a restore or
    a new release cannot meet a body kept under an ETag that meant something else before.
    It is only ever a shortcut. Any error of the file (locked past a moment, full disk,
    damaged) counts as a miss or a put not made, never as a failed request; a file that cannot
    be opened is given up for the life of the process, with one line in the log."""

    # How long a put waits for another worker's: a put not made only costs a later rebuild.
    BUSY_MS = 50
    # The size is checked every so many puts of a process, not on each.
    PRUNE_EVERY = 64

    def __init__(self, path: Path | None, budget: int) -> None:
        self.path = path
        self.budget = budget
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._puts = 0

    def _open(self) -> sqlite3.Connection | None:
        # A connection is never used across a fork: gunicorn's workers each open their own.
        if self._connection is not None and self._pid == os.getpid():
            return self._connection
        if self.path is None or not self.budget:
            return None
        try:
            connection = sqlite3.connect(
                self.path,
                timeout=self.BUSY_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            connection.execute("PRAGMA journal_mode=WAL")
            # No flush to disk: the next server start makes a new file, so what a crash of the
            # machine may lose or damage here is never read again.
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS answer (id INTEGER PRIMARY KEY, key TEXT NOT NULL "
                "UNIQUE, size INTEGER NOT NULL, content BLOB NOT NULL)"
            )
        except sqlite3.Error as error:
            log.warning(
                "kept answers: %s cannot be used (%s); each worker keeps its own", self.path, error
            )
            self.path = None
            return None
        self._connection, self._pid = connection, os.getpid()
        return connection

    def get(self, key: str) -> bytes | None:
        connection = self._open()
        if connection is None:
            return None
        try:
            row = connection.execute("SELECT content FROM answer WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return bytes(row[0]) if row else None

    def put(self, key: str, content: bytes) -> None:
        connection = self._open()
        if connection is None:
            return
        try:
            connection.execute(
                "INSERT OR IGNORE INTO answer (key, size, content) VALUES (?, ?, ?)",
                (key, len(content), content),
            )
            self._puts += 1
            if self._puts % self.PRUNE_EVERY == 0:
                self._prune(connection)
        except sqlite3.Error:
            return

    def _prune(self, connection: sqlite3.Connection) -> None:
        """Drop the oldest answers beyond the budget, down to nine tenths of it."""
        (size,) = connection.execute("SELECT COALESCE(SUM(size), 0) FROM answer").fetchone()
        if size <= self.budget:
            return
        kept = 0
        for answer_id, answer_size in connection.execute(
            "SELECT id, size FROM answer ORDER BY id DESC"
        ).fetchall():
            kept += answer_size
            if kept > self.budget * 9 // 10:
                connection.execute("DELETE FROM answer WHERE id <= ?", (answer_id,))
                return

    def clear(self) -> None:
        connection = self._open()
        if connection is not None:
            connection.execute("DELETE FROM answer")


class KeptAnswers:
    def __init__(self, budget: int, node: NodeAnswers | None = None) -> None:
        self.budget = budget
        self.largest = budget // 16
        self.size = 0
        self.node = node
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        # gthread workers share the process: the order and the size change together, and
        # one SQLite connection is used by one thread at a time.
        self._lock = threading.Lock()

    def get(self, key: tuple[Hashable, ...]) -> bytes | None:
        with self._lock:
            content = self._entries.get(key)
            if content is not None:
                self._entries.move_to_end(key)
                _HIT.inc()
                return content
            content = self.node.get(_text(key)) if self.node is not None else None
        if content is None:
            _MISS.inc()
            return None
        _NODE.inc()
        self._remember(key, content)
        return content

    def put(self, key: tuple[Hashable, ...], content: bytes) -> None:
        if not self.budget or len(content) > self.largest:
            return
        self._remember(key, content)
        if self.node is not None:
            with self._lock:
                self.node.put(_text(key), content)

    def _remember(self, key: tuple[Hashable, ...], content: bytes) -> None:
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = content
            self.size += len(content)
            while self.size > self.budget:
                _, evicted = self._entries.popitem(last=False)
                self.size -= len(evicted)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0
            if self.node is not None:
                self.node.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _text(key: tuple[Hashable, ...]) -> str:
    """The node file's key: the parts of the worker's key, none of which holds a tab."""
    return "\t".join(map(str, key))


def _node_answers() -> NodeAnswers | None:
    path = os.environ.get("TECHALIGN_NODE_ANSWERS", "")
    if not path or not settings.TECHALIGN_KEPT_ANSWERS_MB:
        return None
    return NodeAnswers(Path(path), settings.TECHALIGN_NODE_ANSWERS_MB * 1024 * 1024)


kept_answers = KeptAnswers(settings.TECHALIGN_KEPT_ANSWERS_MB * 1024 * 1024, _node_answers())
