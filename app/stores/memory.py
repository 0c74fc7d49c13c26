"""The embedded store: dictionaries in this process, for one process only (no workers, no replicas).

Every operation runs without awaiting anything, so on one event loop each is atomic. Entries expire by
time.monotonic(); expired entries are swept as writes happen, so memory stays flat under steady traffic.

Entries are kept as plain tuples of strings and numbers, which CPython's cycle collector stops tracking:
with dataclasses, tens of thousands of live sessions made each full collection a pause of tens of
milliseconds in the middle of requests (measured: 77 ms with 60,000 sessions).
"""

import heapq
import time
from typing import Any, Generic, NamedTuple, TypeVar

from app.errors import StoreFull
from app.observability.metrics import metered
from app.stores.base import (
    MAX_ROTATIONS,
    MAX_SESSIONS,
    Challenge,
    Rotation,
    RotationResult,
    Session,
    challenge_cap,
    challenge_key,
    changed_accounts,
    dropped_for,
    spent_mark,
    with_accounts,
)

Value = TypeVar("Value")


class _TrackedDict(dict[str, Any]):
    """A dict the cycle collector tracks from birth: an exact dict is left untracked while it holds only atomic
    values, so gc.freeze() at start-up (app.main) would miss an empty one, which the first tracked value then
    puts in the youngest generation, where every full collection walks each of its entries."""


class _ExpiringMap(Generic[Value]):
    """A dict whose entries vanish `ttl` seconds after they were written."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Value]] = _TrackedDict()
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

    def replace(self, key: str, value: Value) -> None:
        """A new value for a live entry, which keeps its deadline."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries[key] = (entry[0], value)

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

    def live(self) -> int:
        """How many entries have not expired."""
        self._sweep(time.monotonic())
        return len(self._entries)

    def _sweep(self, now: float) -> None:
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, key = heapq.heappop(self._deadlines)
            entry = self._entries.get(key)
            if entry is not None and entry[0] == deadline:  # not rewritten with a later deadline since
                del self._entries[key]


ChallengeRow = tuple[str, str, int, str, float, float, str, str]  # Challenge's fields, in order
SessionRow = tuple[str, str, int, int, int, str, int, str, str, str, str]  # Session's fields, in order


def _challenge_row(challenge: Challenge) -> ChallengeRow:
    c = challenge
    return (c.nonce, c.address, c.chain_id, c.domain, c.issued_at, c.expires_at, c.client, c.message)


def _session_row(session: Session) -> SessionRow:
    s = session
    times = (s.created_at, s.expires_at)
    oidc = (s.client_id, s.scope)
    return (s.session_id, s.address, s.chain_id, *times, s.domain, s.idle_expires_at, s.accounts, s.recap, *oidc)


class _Family(NamedTuple):
    """A session and the hashes of its refresh tokens; stored as the plain tuple `row`."""

    session: SessionRow
    current: str
    previous: str = ""
    rotated_at: int = 0
    # spent_mark of every rotated hash, newest first, space-separated. Redis keeps one field per mark instead,
    # since there every rotation would rewrite the whole string (into its AOF and replicas too) and every
    # forged refresh scan it in the server's one thread. Here nothing is written out: at MAX_ROTATIONS (330 KB)
    # a rotation copies it in under 10 us and a forged refresh searches it in some 50 us, and a string keeps
    # the row a tuple of atomic values (see `row`).
    spent: str = ""
    rotations: int = 0
    revoked: bool = False

    @property
    def row(self) -> "FamilyRow":
        """An exact tuple: the collector untracks those (not their subclasses) when all they hold is atomic."""
        return (self.session, self.current, self.previous, self.rotated_at, self.spent, self.rotations, self.revoked)

    def spend(self, refresh_hash: str) -> str:
        """The spent list with `refresh_hash` in front."""
        return f"{spent_mark(refresh_hash)} {self.spent}" if self.spent else spent_mark(refresh_hash)

    def is_spent(self, refresh_hash: str) -> bool:
        return refresh_hash != "" and f" {spent_mark(refresh_hash)} " in f" {self.spent} "


FamilyRow = tuple[SessionRow, str, str, int, str, int, bool]


class MemoryStore:
    def __init__(self, *, max_rotations: int = MAX_ROTATIONS, max_sessions: int = MAX_SESSIONS) -> None:
        self.max_rotations = max_rotations
        self.max_sessions = max_sessions
        # by address (open nonces: by their client's tag, app.stores.base.challenge_key), newest first
        self.challenges: _ExpiringMap[tuple[ChallengeRow, ...]] = _ExpiringMap()
        self.families: _ExpiringMap[FamilyRow] = _ExpiringMap()  # by session id
        # the live sessions' ids, each until its ends_at: what the ceiling counts (revoked families, kept a
        # while in `families`, are not here)
        self.live: _ExpiringMap[None] = _ExpiringMap()
        self.codes: _ExpiringMap[tuple[str, bool]] = _ExpiringMap()  # by code hash: (record, taken)

    @metered
    async def save_challenge(self, challenge: Challenge) -> None:
        now = time.time()
        key = challenge_key(challenge.address, challenge.nonce)
        kept = [challenge, *self._live_challenges(key)]
        if len(kept) > challenge_cap(challenge):
            kept.remove(dropped_for(challenge.client, kept[1:]))
        rows = tuple(_challenge_row(kept_challenge) for kept_challenge in kept)
        self.challenges.put(key, rows, challenge.expires_at - now)

    @metered
    async def find_challenge(self, address: str, nonce: str) -> Challenge | None:
        return next((c for c in self._live_challenges(challenge_key(address, nonce)) if c.nonce == nonce), None)

    @metered
    async def outstanding_challenges(self, address: str) -> list[Challenge]:
        return self._live_challenges(address)

    def _live_challenges(self, key: str) -> list[Challenge]:  # unmetered: the callers are metered
        now = time.time()
        return [Challenge(*row) for row in self.challenges.get(key) or () if row[5] > now]

    @metered
    async def redeem_challenge(self, nonce: str, session: Session, refresh_hash: str) -> bool:
        key = challenge_key(session.address, nonce)
        redeemed = self._outstanding(key, nonce)
        if redeemed is None:
            return False
        if self.live.live() >= self.max_sessions:
            raise StoreFull()
        self._drop(key, redeemed)
        ttl = session.ends_at - session.created_at
        family = _Family(_session_row(session), refresh_hash, rotated_at=session.created_at)
        self.families.put(session.session_id, family.row, ttl)
        self.live.put(session.session_id, None, ttl)
        return True

    @metered
    async def consume_challenge(self, address: str, nonce: str) -> bool:
        key = challenge_key(address, nonce)
        consumed = self._outstanding(key, nonce)
        if consumed is None:
            return False
        self._drop(key, consumed)
        return True

    def _outstanding(self, key: str, nonce: str) -> ChallengeRow | None:
        now = time.time()
        return next((row for row in self.challenges.get(key) or () if row[0] == nonce and row[5] > now), None)

    def _drop(self, key: str, dropped: ChallengeRow) -> None:
        self.challenges.replace(key, tuple(row for row in self.challenges.get(key) or () if row is not dropped))

    @metered
    async def count_sessions(self) -> int:
        return self.live.live()

    @metered
    async def find_session(self, session_id: str) -> Session | None:
        family = self._open_family(session_id, time.time())
        return None if family is None else Session(*family.session)

    @metered
    async def rotate_refresh(
        self,
        session_id: str,
        presented_hash: str,
        new_hash: str,
        *,
        now: int,
        grace: int,
        keep_revoked: int,
        idle_ttl: int,
    ) -> RotationResult:
        family = self._open_family(session_id, now)
        if family is None:
            return RotationResult(Rotation.INVALID)
        session = Session(*family.session).refreshed(now, idle_ttl)
        is_current = presented_hash == family.current
        in_grace = presented_hash == family.previous and grace > 0 and now - family.rotated_at <= grace
        if (is_current or in_grace) and family.rotations >= self.max_rotations:
            self._revoke(session_id, family, keep_revoked)
            return RotationResult(Rotation.EXHAUSTED)
        rotations = family.rotations + 1
        if is_current:
            rotated = family._replace(
                session=_session_row(session),
                current=new_hash,
                previous=presented_hash,
                rotated_at=now,
                spent=family.spend(presented_hash),
                rotations=rotations,
            )
            self._keep_until_idle_end(session, rotated, now)
            return RotationResult(Rotation.ROTATED, session)
        if in_grace:
            sibling = family._replace(
                session=_session_row(session), current=new_hash, spent=family.spend(family.current), rotations=rotations
            )
            self._keep_until_idle_end(session, sibling, now)
            return RotationResult(Rotation.GRACE, session)
        if family.is_spent(presented_hash):
            self._revoke(session_id, family, keep_revoked)
            return RotationResult(Rotation.REUSED)
        return RotationResult(Rotation.INVALID)

    @metered
    async def change_accounts(
        self, session_id: str, *, add: tuple[str, ...] = (), remove: str | None = None
    ) -> Session | None:
        family = self._open_family(session_id, time.time())
        if family is None:
            return None
        session = Session(*family.session)
        accounts = changed_accounts(session.account_ids, add, remove)
        if accounts:
            session = with_accounts(session, accounts)
            self.families.replace(session_id, family._replace(session=_session_row(session)).row)
        return session

    @metered
    async def revoke_session(self, session_id: str, *, keep_revoked: int, refresh_hash: str | None = None) -> bool:
        row = self.families.get(session_id)
        if row is None:
            return False
        family = _Family(*row)
        if family.revoked:
            return True
        if refresh_hash is not None and refresh_hash != family.current and not family.is_spent(refresh_hash):
            return False
        self._revoke(session_id, family, keep_revoked)
        return True

    @metered
    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _open_family(self, session_id: str, now: float) -> _Family | None:
        row = self.families.get(session_id)
        if row is None:
            return None
        family = _Family(*row)
        if family.revoked or now >= Session(*family.session).ends_at:
            return None
        return family

    def _keep_until_idle_end(self, session: Session, family: _Family, now: int) -> None:
        """Store a refreshed family, which now lives (and counts) until the session's new ends_at."""
        ttl = session.ends_at - now
        self.families.put(session.session_id, family.row, ttl)
        self.live.put(session.session_id, None, ttl)

    def _revoke(self, session_id: str, family: _Family, keep_revoked: int) -> None:
        self.families.replace(session_id, family._replace(revoked=True).row)
        self.families.shorten(session_id, keep_revoked)
        self.live.pop(session_id)

    # OpenID Connect authorization codes
    @metered
    async def save_code(self, code_hash: str, record: str, ttl: int) -> None:
        self.codes.put(code_hash, (record, False), ttl)

    @metered
    async def take_code(self, code_hash: str) -> tuple[str, bool] | None:
        entry = self.codes.get(code_hash)
        if entry is None:
            return None
        record, taken = entry
        if not taken:
            self.codes.replace(code_hash, (record, True))  # kept until its ttl, so a second use is seen
        return record, taken
