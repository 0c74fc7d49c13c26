"""The store interface, named after the domain operations, and the records it keeps.

Every implementation turns its own failures into app.errors.StoreUnavailable, so callers catch one thing.
"""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Challenge:
    """A nonce handed out by /auth/challenge and what it was issued for."""

    nonce: str
    address: str
    chain_id: int
    domain: str
    issued_at: float  # Unix seconds
    message: str  # the EIP-4361 text we issued


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in session; its refresh token is kept only as a hash."""

    session_id: str
    address: str
    chain_id: int
    created_at: int  # Unix seconds
    expires_at: int  # Unix seconds: the absolute end, whatever refreshes happen
    refresh_hash: str


RECENT_CHALLENGES = 5  # per address, for the address-only form of /auth/verify


class Store(Protocol):
    async def save_challenge(self, challenge: Challenge, ttl: int) -> None:
        """Keep a challenge for `ttl` seconds, and among the RECENT_CHALLENGES last issued to its address."""

    async def find_challenge(self, nonce: str) -> Challenge | None:
        """The challenge with this nonce, if it is still outstanding; consumes nothing."""

    async def recent_challenges(self, address: str) -> list[Challenge]:
        """The outstanding challenges among the last RECENT_CHALLENGES issued to this address, newest first."""

    async def redeem_challenge(self, nonce: str, session: Session, ttl: int) -> bool:
        """Atomically consume the nonce and open the session (kept `ttl` seconds).

        Returns False, and opens nothing, when the nonce is no longer outstanding: of several concurrent
        redemptions of one nonce exactly one returns True.
        """

    async def find_session(self, session_id: str) -> Session | None:
        """The session, if it is open."""

    async def ping(self) -> None:
        """Return when the store answers; raise StoreUnavailable otherwise."""

    async def close(self) -> None:
        """Release connections."""
