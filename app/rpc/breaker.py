"""A circuit breaker per node: after `failures` consecutive failures the node is left alone for `cooldown`
seconds, then one request probes it (half-open); its success closes the breaker, its failure opens it again.
"""

import enum
import time
from collections.abc import Callable


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(self, failures: int, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._threshold = failures
        self._cooldown = cooldown
        self._clock = clock
        self._consecutive_failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._probing or self._clock() - self._opened_at >= self._cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allows(self) -> bool:
        """Whether a request may go to the node now. In half-open, only one request at a time (the probe)."""
        state = self.state
        return state is BreakerState.CLOSED or (state is BreakerState.HALF_OPEN and not self._probing)

    def attempt(self) -> None:
        """A request is going to the node (call after allows() said yes)."""
        if self.state is BreakerState.HALF_OPEN:
            self._probing = True

    def release(self) -> None:
        """The request went nowhere (cancelled): free the probe slot without judging the node."""
        self._probing = False

    def succeeded(self) -> None:
        self._consecutive_failures = 0
        self._opened_at = None
        self._probing = False

    def failed(self) -> None:
        self._consecutive_failures += 1
        if self._probing or self._consecutive_failures >= self._threshold:
            self._opened_at = self._clock()
        self._probing = False
