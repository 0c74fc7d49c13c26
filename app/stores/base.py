"""The store interface, named after the domain operations, and the records it keeps.

Every implementation turns its own failures into app.errors.StoreUnavailable, so callers catch one thing.

A session's refresh tokens are kept only as SHA-256 hashes: the current one, the one it replaced (for the
optional grace window) and every rotated (spent) one for the session's whole life, to recognise their
reuse however long ago they were rotated. A spent hash is kept as its first SPENT_MARK_HEX hex digits (128
bits: still far beyond guessing a token whose hash starts with them), its spent_mark; a session rotates at
most MAX_ROTATIONS times, which bounds how many it keeps. How a store keeps them is its own (on Redis, one
field of the session's hash each, so that neither a rotation nor a forged refresh costs more on a long-lived
session). Rotation is one atomic step with these outcomes (RFC 9700 §4.14.2):

    presented hash             outcome    effect
    the current one            ROTATED    the new hash becomes current; the presented one is spent
    the previous one, within   GRACE      the new hash becomes current (the client lost the response that
      the grace window                    carried the current one); the replaced one is spent, so whoever
                                          holds it and presents it later triggers reuse detection
    either of the two above,   EXHAUSTED  the session is revoked: it may not rotate again, and forgetting a
      after MAX_ROTATIONS                 spent token to make room would let its reuse pass unnoticed
    a spent one                REUSED     the session is revoked: every token of it dies
    anything else, or the      INVALID    nothing changes (a forger who knows a session id cannot revoke it)
      session revoked or over
"""

import dataclasses
import enum
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

# Per address: what a flood of challenges for one address can make us hold (dropped_for says which one gives
# way to a new one); the address-only form of /auth/verify tries each of them.
OUTSTANDING_CHALLENGES = 8
# Nonces issued before the address (POST /auth/nonce) are kept per client instead, at most this many: a client
# asking for more drops its own oldest. Many users behind one NAT share a client, hence more than per address.
OPEN_NONCES_PER_CLIENT = 32
# An open nonce is OPEN_NONCE_HEX hex digits: a tag of its client (CLIENT_TAG_HEX digits, a keyed hash, so that
# the nonce says where it is kept without saying who asked) and 128 random bits. Challenge nonces are 32 digits.
CLIENT_TAG_HEX = 8
OPEN_NONCE_HEX = CLIENT_TAG_HEX + 32
SPENT_MARK_HEX = 32  # hex digits of a spent refresh-token hash that a session keeps (128 of its 256 bits)
# Rotations per session, so that its spent hashes stay bounded (on Redis 7 some 93 bytes each, 0.93 MB at most;
# 33 bytes each, 330 KB, in the memory store). Sessions last AUTH_REFRESH_TTL (14 days by default); a client
# refreshing every 15 minutes (the default access-token lifetime) rotates 1,344 times in 14 days, so this
# leaves room for clients that refresh far more eagerly.
# A session that reaches it ends (its user signs in again) rather than forgetting a spent token.
MAX_ROTATIONS = 10_000
# Live sessions a store holds at most (AUTH_MAX_SESSIONS): at the ceiling a sign-in is refused (StoreFull)
# before its nonce is consumed. Revoked sessions and sessions past their idle or absolute end do not count.
MAX_SESSIONS = 1_000_000


def challenge_key(address: str, nonce: str) -> str:
    """Where a challenge with this nonce is kept: under its address, or, for an open nonce (one issued before
    the address), under its client's tag."""
    return f"~{nonce[:CLIENT_TAG_HEX]}" if len(nonce) == OPEN_NONCE_HEX else address


def challenge_cap(challenge: "Challenge") -> int:
    """How many challenges the challenge's key holds at most."""
    return OPEN_NONCES_PER_CLIENT if challenge.is_open else OUTSTANDING_CHALLENGES


def spent_mark(refresh_hash: str) -> str:
    """What a session keeps of a spent refresh-token hash, and compares presented hashes by."""
    return refresh_hash[:SPENT_MARK_HEX]


@dataclass(frozen=True, slots=True)
class Challenge:
    """A nonce handed out by /auth/challenge and what it was issued for; or by /auth/nonce (an open nonce),
    bound to its domain only: then address is "", chain_id 0 and message "" (the client writes the message)."""

    nonce: str
    address: str
    chain_id: int
    domain: str
    issued_at: float  # Unix seconds
    expires_at: float  # Unix seconds: the nonce is not outstanding from then on
    client: str  # who asked for it (the rate-limit client key)
    message: str  # the EIP-4361 text we issued

    @property
    def is_open(self) -> bool:
        return self.address == ""


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in session (a refresh-token family)."""

    session_id: str
    address: str
    chain_id: int
    created_at: int  # Unix seconds
    expires_at: int  # Unix seconds: the absolute end, whatever refreshes happen
    domain: str = ""  # the sign-in message's domain ("" in a session stored before sessions kept it)
    # Unix seconds: the idle end, which each refresh moves on (AUTH_SESSION_IDLE_TTL), never past expires_at;
    # 0 in a session stored before sessions had one: then only expires_at ends it
    idle_expires_at: int = 0
    # the CAIP-10 accounts signed in (eip155:<chain id>:<address>), comma-separated; "" in a session stored
    # before sessions had several: its one account is then that of address and chain_id
    accounts: str = ""
    recap: str = ""  # the ReCap (EIP-5573) the sign-in granted, as JSON; "" for none
    # an OpenID Connect session (app.oidc): the client it was granted to and the scope granted, space-separated;
    # "" for a session of our own API. A client may refresh and revoke its own sessions only (RFC 6749 §6, RFC 7009)
    client_id: str = ""
    scope: str = ""

    @property
    def account_ids(self) -> tuple[str, ...]:
        return tuple(self.accounts.split(",")) if self.accounts else (f"eip155:{self.chain_id}:{self.address}",)

    @property
    def ends_at(self) -> int:
        """When the session ends unless refreshed first."""
        return min(self.idle_expires_at, self.expires_at) if self.idle_expires_at else self.expires_at

    def refreshed(self, now: int, idle_ttl: int) -> "Session":
        """The session once refreshed at `now`: its idle end moved on, never past its absolute end."""
        return dataclasses.replace(self, idle_expires_at=min(now + idle_ttl, self.expires_at))


def dropped_for(client: str, older: list[Challenge]) -> Challenge:
    """Which of an address's older challenges (newest first) gives way to a new one from `client`: the oldest
    of the client holding the most, counting the new one (that client itself on a tie), else the oldest of
    all. A flood from one client, or from fewer clients than OUTSTANDING_CHALLENGES, only displaces its own."""
    held = Counter(challenge.client for challenge in older)
    held[client] += 1
    most = max(held.values())
    if held[client] == most:
        own = [challenge for challenge in older if challenge.client == client]
        if own:
            return own[-1]
    return [challenge for challenge in older if held[challenge.client] == most][-1]


def with_accounts(session: "Session", accounts: tuple[str, ...]) -> "Session":
    """The session with these accounts; its chain_id that of the first, so that it never names a chain the
    session no longer has (its first account removed)."""
    chain_id = int(accounts[0].split(":")[1])
    return dataclasses.replace(session, accounts=",".join(accounts), chain_id=chain_id)


def changed_accounts(accounts: tuple[str, ...], add: tuple[str, ...], remove: str | None) -> tuple[str, ...]:
    """A session's accounts with `add` appended (those it lacks) and `remove` taken out; () when that would
    leave none (a session keeps at least one account: the change is then not made)."""
    changed = tuple(account for account in accounts if account != remove)
    changed += tuple(account for account in dict.fromkeys(add) if account not in changed)
    return changed


class Rotation(enum.Enum):
    ROTATED = "rotated"
    GRACE = "grace"
    REUSED = "reused"
    EXHAUSTED = "exhausted"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class RotationResult:
    outcome: Rotation
    session: Session | None = None  # for ROTATED and GRACE


class Store(Protocol):
    async def save_challenge(self, challenge: Challenge) -> None:
        """Keep a challenge until its expires_at. An address holds at most OUTSTANDING_CHALLENGES: saving one
        more drops the oldest of the same client, else the oldest of all (see above)."""

    async def find_challenge(self, address: str, nonce: str) -> Challenge | None:
        """The challenge with this nonce issued to this address, if it is still outstanding; consumes nothing."""

    async def outstanding_challenges(self, address: str) -> list[Challenge]:
        """The outstanding challenges of this address (EIP-55), newest first."""

    async def redeem_challenge(self, nonce: str, session: Session, refresh_hash: str) -> bool:
        """Consume the nonce and open the session, with its first refresh token's hash, until the session's
        ends_at: once the nonce is consumed, the session exists.

        Returns False, and leaves no session, when the nonce is no longer outstanding: of several concurrent
        redemptions of one nonce exactly one returns True. Raises StoreFull, consuming nothing, when the
        store already holds its ceiling of live sessions (max_sessions, MAX_SESSIONS unless built with
        another); concurrent redemptions never take it past the ceiling.
        """

    async def consume_challenge(self, address: str, nonce: str) -> bool:
        """Consume the outstanding challenge with this nonce for this address (or the open nonce): True for
        exactly one of several concurrent consumers, False when it is not outstanding."""

    async def count_sessions(self) -> int:
        """How many sessions are live: neither revoked nor past their idle or absolute end."""

    async def find_session(self, session_id: str) -> Session | None:
        """The session, if it is open: neither revoked nor over (past its ends_at)."""

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
        """One atomic rotation step (see the table above). `grace` is in seconds, 0 for none; a revoked
        session is kept `keep_revoked` seconds (as long as its access tokens can live), then forgotten.
        A session past its ends_at does not rotate (INVALID); ROTATED and GRACE move its idle end to
        `idle_ttl` seconds from `now` (Session.refreshed), and the result's session says so.
        A session rotates at most MAX_ROTATIONS times (ROTATED and GRACE both count; a store may be
        built with a lower cap)."""

    async def change_accounts(
        self, session_id: str, *, add: tuple[str, ...] = (), remove: str | None = None
    ) -> Session | None:
        """One atomic change of an open session's accounts (changed_accounts; none when it would leave the
        session without one), and of its chain_id (with_accounts): the session as it then is, None when it is
        not open."""

    async def revoke_session(self, session_id: str, *, keep_revoked: int, refresh_hash: str | None = None) -> bool:
        """Revoke the session (kept `keep_revoked` seconds more at most). With `refresh_hash`, only if it is
        one of the session's refresh tokens, current or spent (however long ago). True when the session is
        (now) revoked."""

    async def ping(self) -> None:
        """Return when the store answers; raise StoreUnavailable otherwise."""

    async def close(self) -> None:
        """Release connections."""

    # OpenID Connect authorization codes (app.oidc.codes), keyed by the code's SHA-256: single use, and a
    # second use recognised (RFC 6749 §4.1.2), so each is kept until its ttl even once taken.
    async def save_code(self, code_hash: str, record: str, ttl: int) -> None:
        """Keep a code's record (JSON) `ttl` seconds, not yet taken."""

    async def take_code(self, code_hash: str) -> tuple[str, bool] | None:
        """One atomic step: the code's record and whether it had been taken before, marking it taken (it is
        kept until its ttl all the same). Of several concurrent takes exactly one answers (record, False); the
        others, and every later one, (record, True). None for a code unknown or past its ttl."""
