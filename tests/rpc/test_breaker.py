"""The circuit breaker's states, on a clock the test moves."""

from app.rpc.breaker import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_the_consecutive_failures_then_probes_once_after_the_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, cooldown=10, clock=clock)
    for _ in range(2):
        breaker.attempt()
        breaker.failed()
    assert (breaker.state, breaker.allows()) == (BreakerState.CLOSED, True)
    breaker.attempt()
    breaker.failed()
    assert (breaker.state, breaker.allows()) == (BreakerState.OPEN, False)
    clock.now += 9.9
    assert not breaker.allows()
    clock.now += 0.1
    assert (breaker.state, breaker.allows()) == (BreakerState.HALF_OPEN, True)
    breaker.attempt()  # the probe
    assert not breaker.allows()  # one probe at a time
    breaker.succeeded()
    assert (breaker.state, breaker.allows()) == (BreakerState.CLOSED, True)


def test_a_failed_probe_opens_it_again_for_a_whole_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, cooldown=5, clock=clock)
    breaker.attempt()
    breaker.failed()
    clock.now += 5
    breaker.attempt()
    breaker.failed()
    assert breaker.state is BreakerState.OPEN
    clock.now += 4.9
    assert not breaker.allows()
    clock.now += 0.1
    assert breaker.allows()


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    breaker = CircuitBreaker(failures=2, cooldown=5, clock=Clock())
    for _ in range(5):
        breaker.attempt()
        breaker.failed()
        breaker.attempt()
        breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED
