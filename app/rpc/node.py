"""One Ethereum node as the pool sees it: whether it is on the expected chain, how fast it answers, and its
circuit breaker."""

import enum
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.rpc.breaker import BreakerState, CircuitBreaker

_LATENCY_WEIGHT = 0.3  # of each new sample in the moving average


class ChainCheck(enum.Enum):
    UNVERIFIED = "unverified"  # eth_chainId not answered yet: asked before anything else is sent
    VERIFIED = "verified"
    WRONG_CHAIN = "wrong_chain"  # never sent anything but eth_chainId until it answers the right id


def redacted(url: str) -> str:
    """The URL without what may hold a credential (user info, path, query): providers put API keys there."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "(unparsable URL)"
    shown = f"{parts.scheme}://{parts.hostname or '?'}" + (f":{port}" if port else "")
    return shown + ("/..." if parts.path not in ("", "/") or parts.query else "")


@dataclass(eq=False)
class Node:
    url: str
    chain_id: int
    breaker: CircuitBreaker
    check: ChainCheck = ChainCheck.UNVERIFIED
    latency: float | None = None  # seconds, exponentially weighted
    answered_chain_id: int | None = None
    last_error: str | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return redacted(self.url)

    def usable(self) -> bool:
        return self.check is not ChainCheck.WRONG_CHAIN and self.breaker.allows()

    def observe(self, seconds: float) -> None:
        previous = self.latency
        self.latency = seconds if previous is None else previous + _LATENCY_WEIGHT * (seconds - previous)

    def status(self) -> dict[str, Any]:
        healthy = self.check is ChainCheck.VERIFIED and self.breaker.state is BreakerState.CLOSED
        return {
            "node": self.label,
            "healthy": healthy,
            "chain": self.check.value,
            "breaker": self.breaker.state.value,
            "latency_ms": None if self.latency is None else round(self.latency * 1000, 1),
            "last_error": self.last_error,
        }
