"""The embedded store: dictionaries in this process, for one process only (no workers, no replicas).

Every operation runs without awaiting anything, so on one event loop each is atomic. Entries expire by
time.monotonic(); expired entries are swept as writes happen, so memory stays flat under steady traffic.
"""

import heapq
import time
from typing import Generic, TypeVar

from app.stores.base import Challenge, Session

Value = TypeVar("Value")


class _ExpiringMap(Generic[Value]):
    """A dict whose entries vanish `ttl` seconds after they were written."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Value]] = {}
        self._deadlines: list[tuple[float, str]] = []

    def put(self, key: str, value: Value, ttl: float) -> None:
        now = time.monotonic()
        self._sweep(now)
        deadline = now + ttl
        self._entries[key] = (deadline, value)
        heapq.heappush(self._deadlines, (deadline, key))

    def get(self, key: str) -> Value | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def pop(self, key: str) -> Value | None:
        value = self.get(key)
        self._entries.pop(key, None)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def _sweep(self, now: float) -> None:
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, key = heapq.heappop(self._deadlines)
            entry = self._entries.get(key)
            if entry is not None and entry[0] == deadline:  # not rewritten with a later deadline since
                del self._entries[key]


class MemoryStore:
    def __init__(self) -> None:
        self.challenges: _ExpiringMap[Challenge] = _ExpiringMap()
        self.latest_by_address: _ExpiringMap[Challenge] = _ExpiringMap()
        self.sessions: _ExpiringMap[Session] = _ExpiringMap()

    async def save_challenge(self, challenge: Challenge, ttl: int) -> None:
        self.challenges.put(challenge.nonce, challenge, ttl)
        self.latest_by_address.put(challenge.address, challenge, ttl)

    async def find_challenge(self, nonce: str) -> Challenge | None:
        return self.challenges.get(nonce)

    async def latest_challenge(self, address: str) -> Challenge | None:
        return self.latest_by_address.get(address)

    async def redeem_challenge(self, nonce: str, session: Session, ttl: int) -> bool:
        challenge = self.challenges.pop(nonce)
        if challenge is None:
            return False
        latest = self.latest_by_address.get(challenge.address)
        if latest is not None and latest.nonce == nonce:
            self.latest_by_address.pop(challenge.address)
        self.sessions.put(session.session_id, session, ttl)
        return True

    async def find_session(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
