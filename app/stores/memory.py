"""The embedded store: dictionaries in this process, for one process only (no workers, no replicas).

Every operation runs without awaiting anything, so on one event loop each is atomic. Entries expire by
time.monotonic(); expired entries are swept as writes happen, so memory stays flat under steady traffic.
"""

import heapq
import time
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from app.observability.metrics import metered
from app.stores.base import (
    OUTSTANDING_CHALLENGES,
    SPENT_KEPT,
    Challenge,
    Rotation,
    RotationResult,
    Session,
    dropped_for,
)

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

    def shorten(self, key: str, ttl: float) -> None:
        """Let the entry live at most `ttl` seconds more."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic() + ttl:
            self.put(key, entry[1], ttl)

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


@dataclass
class _Family:
    """A session and the hashes of its refresh tokens."""

    session: Session
    current: str
    previous: str = ""
    rotated_at: int = 0
    spent: list[str] = field(default_factory=list)
    revoked: bool = False


class MemoryStore:
    def __init__(self) -> None:
        self.challenges: _ExpiringMap[list[Challenge]] = _ExpiringMap()  # by address, newest first
        self.families: _ExpiringMap[_Family] = _ExpiringMap()  # by session id

    @metered
    async def save_challenge(self, challenge: Challenge) -> None:
        now = time.time()
        kept = [challenge, *(c for c in self.challenges.get(challenge.address) or [] if c.expires_at > now)]
        if len(kept) > OUTSTANDING_CHALLENGES:
            kept.remove(dropped_for(challenge.client, kept[1:]))
        self.challenges.put(challenge.address, kept, challenge.expires_at - now)

    @metered
    async def find_challenge(self, address: str, nonce: str) -> Challenge | None:
        return next((c for c in await self.outstanding_challenges(address) if c.nonce == nonce), None)

    @metered
    async def outstanding_challenges(self, address: str) -> list[Challenge]:
        now = time.time()
        return [challenge for challenge in self.challenges.get(address) or [] if challenge.expires_at > now]

    @metered
    async def redeem_challenge(self, nonce: str, session: Session, refresh_hash: str) -> bool:
        outstanding = self.challenges.get(session.address) or []
        now = time.time()
        challenge = next((c for c in outstanding if c.nonce == nonce and c.expires_at > now), None)
        if challenge is None:
            return False
        outstanding.remove(challenge)
        ttl = session.expires_at - session.created_at
        self.families.put(session.session_id, _Family(session, refresh_hash, rotated_at=session.created_at), ttl)
        return True

    @metered
    async def find_session(self, session_id: str) -> Session | None:
        family = self._open_family(session_id, time.time())
        return None if family is None else family.session

    @metered
    async def rotate_refresh(
        self, session_id: str, presented_hash: str, new_hash: str, *, now: int, grace: int, keep_revoked: int
    ) -> RotationResult:
        family = self._open_family(session_id, now)
        if family is None:
            return RotationResult(Rotation.INVALID)
        if presented_hash == family.current:
            family.previous, family.current, family.rotated_at = presented_hash, new_hash, now
            family.spent = [presented_hash, *family.spent][:SPENT_KEPT]
            return RotationResult(Rotation.ROTATED, family.session)
        if presented_hash == family.previous and grace > 0 and now - family.rotated_at <= grace:
            family.spent = [family.current, *family.spent][:SPENT_KEPT]
            family.current = new_hash
            return RotationResult(Rotation.GRACE, family.session)
        if presented_hash in family.spent:
            self._revoke(session_id, family, keep_revoked)
            return RotationResult(Rotation.REUSED)
        return RotationResult(Rotation.INVALID)

    @metered
    async def revoke_session(self, session_id: str, *, keep_revoked: int, refresh_hash: str | None = None) -> bool:
        family = self.families.get(session_id)
        if family is None:
            return False
        if family.revoked:
            return True
        if refresh_hash is not None and refresh_hash != family.current and refresh_hash not in family.spent:
            return False
        self._revoke(session_id, family, keep_revoked)
        return True

    @metered
    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _open_family(self, session_id: str, now: float) -> _Family | None:
        family = self.families.get(session_id)
        if family is None or family.revoked or now >= family.session.expires_at:
            return None
        return family

    def _revoke(self, session_id: str, family: _Family, keep_revoked: int) -> None:
        family.revoked = True
        self.families.shorten(session_id, keep_revoked)
