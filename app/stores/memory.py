"""The embedded store: dictionaries in this process, for one process only (no workers, no replicas).

Every operation runs without awaiting anything, so on one event loop each is atomic. Entries expire by
time.monotonic(); expired entries are swept as writes happen, so memory stays flat under steady traffic.
"""

import heapq
import time
from typing import Generic, TypeVar

from app.stores.base import RECENT_CHALLENGES, Challenge, Session

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
        self.recent_nonces: _ExpiringMap[list[str]] = _ExpiringMap()  # by address, newest first
        self.sessions: _ExpiringMap[Session] = _ExpiringMap()

    async def save_challenge(self, challenge: Challenge, ttl: int) -> None:
        self.challenges.put(challenge.nonce, challenge, ttl)
        recent = [challenge.nonce, *(self.recent_nonces.get(challenge.address) or [])][:RECENT_CHALLENGES]
        self.recent_nonces.put(challenge.address, recent, ttl)

    async def find_challenge(self, nonce: str) -> Challenge | None:
        return self.challenges.get(nonce)

    async def recent_challenges(self, address: str) -> list[Challenge]:
        found = (self.challenges.get(nonce) for nonce in self.recent_nonces.get(address) or [])
        return [challenge for challenge in found if challenge is not None]

    async def redeem_challenge(self, nonce: str, session: Session, ttl: int) -> bool:
        challenge = self.challenges.pop(nonce)
        if challenge is None:
            return False
        recent = self.recent_nonces.get(challenge.address)
        if recent is not None and nonce in recent:
            recent.remove(nonce)
        self.sessions.put(session.session_id, session, ttl)
        return True

    async def find_session(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
