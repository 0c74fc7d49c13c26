"""This process's copy of the sessions the Redis store has read, so that checking an access token's session
(GET /auth/me, /auth/forward, introspection) costs no round trip; app.stores.invalidations keeps it current.

The copy answers only what the store would answer now, by these rules:
- It is served only while the invalidation stream is up and recently confirmed: `follow` once Redis tracks
  the session keys for this process, `confirm` each time a heartbeat sent on that stream comes back (every
  invalidation sent before it has then been applied), `lose` the moment the stream is down, which empties
  the copy. Nothing read before the stream was (re)established is ever served: its loss emptied the copy,
  and a read started while it was down keeps nothing.
- A read that misses first leaves a placeholder and keeps its answer only if the placeholder is still there
  when the answer comes: an invalidation (or a write of this process) arriving while the read is in flight
  removes it, so an answer that may predate the change is dropped rather than kept.
- At most CAPACITY sessions (the least recently used go first), none kept longer than MAX_AGE seconds.
"""

import enum
import time
from collections import OrderedDict

from app.observability.metrics import SESSION_CACHE_READS
from app.stores.base import Session

CAPACITY = 20_000  # sessions; a few hundred bytes to a few KB each (accounts, ReCap)
MAX_AGE = 60.0  # seconds: a bound on any entry, whatever the stream says


class NotCached(enum.Enum):
    NOT_CACHED = "not cached"


NOT_CACHED = NotCached.NOT_CACHED

_HITS = SESSION_CACHE_READS.labels("hit")
_MISSES = SESSION_CACHE_READS.labels("miss")
_UNTRUSTED = SESSION_CACHE_READS.labels("untrusted")


class Reading:
    """The placeholder of a read in flight."""

    __slots__ = ()


class _Entry:
    __slots__ = ("session", "stored_at")

    def __init__(self, session: Session | None, stored_at: float) -> None:
        self.session = session  # None: no open session (missing or revoked)
        self.stored_at = stored_at  # time.monotonic()


class SessionCache:
    def __init__(self, *, capacity: int = CAPACITY, max_age: float = MAX_AGE) -> None:
        self._entries: OrderedDict[str, _Entry | Reading] = OrderedDict()
        self._capacity = capacity
        self._max_age = max_age
        self._following = False
        self._trusted_until = 0.0  # time.monotonic()

    @property
    def following(self) -> bool:
        """Whether the invalidation stream is up (entries are kept; served while it is confirmed)."""
        return self._following

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, session_id: str) -> Session | None | NotCached:
        """What find_session would answer from Redis now (the session, or None), or NOT_CACHED."""
        now = time.monotonic()
        if now >= self._trusted_until:  # also when not following: lose() resets it
            _UNTRUSTED.inc()
            return NOT_CACHED
        entry = self._entries.get(session_id)
        if type(entry) is not _Entry or now - entry.stored_at > self._max_age:
            _MISSES.inc()
            return NOT_CACHED
        self._entries.move_to_end(session_id)
        _HITS.inc()
        return entry.session

    def reading(self, session_id: str) -> Reading | None:
        """Before reading a session from Redis: its placeholder, for `keep`; None when the stream is down."""
        if not self._following:
            return None
        placeholder = self._entries[session_id] = Reading()
        self._entries.move_to_end(session_id)
        if len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
        return placeholder

    def keep(self, placeholder: Reading | None, session_id: str, session: Session | None) -> None:
        """After the read: keep its answer, unless the session changed (or the stream broke) meanwhile."""
        if placeholder is not None and self._entries.get(session_id) is placeholder:
            self._entries[session_id] = _Entry(session, time.monotonic())

    def forget(self, session_id: str) -> None:
        """The session changed (an invalidation, or a write of this process)."""
        self._entries.pop(session_id, None)

    def forget_all(self) -> None:
        self._entries.clear()

    def follow(self, trusted_until: float) -> None:
        """The stream is (again) up: keep entries from now on, and serve them until `trusted_until`."""
        self._entries.clear()
        self._following = True
        self._trusted_until = trusted_until

    def confirm(self, trusted_until: float) -> None:
        """A heartbeat came back: serve entries until `trusted_until` (time.monotonic())."""
        if self._following:
            self._trusted_until = trusted_until

    def lose(self) -> None:
        """The stream is down: serve nothing, keep nothing, until `follow`."""
        self._following = False
        self._trusted_until = 0.0
        self._entries.clear()
