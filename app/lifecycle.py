"""Shutting down without dropping sign-ins.

On SIGTERM (or SIGINT) uvicorn stops accepting connections, lets the requests in flight finish for at most
AUTH_SHUTDOWN_GRACE seconds, then runs the lifespan's shutdown. From the signal on, /readyz answers 503, so a
load balancer stops sending traffic even while the last requests finish. `python -m app` then exits with
status 0 (plain uvicorn re-raises the signal after draining, and the process would die of it).
"""

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uvicorn.supervisors import Multiprocess

logger = logging.getLogger("web3_auth")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Draining:
    """Set once a stop signal arrived; process-wide, like the signal. A plain flag, no lock: it is set from
    signal handlers, which can interrupt one another (a lock taken by the first would deadlock the second)."""

    def __init__(self) -> None:
        self._started = False

    def start(self) -> None:
        self._started = True

    def __bool__(self) -> bool:
        return self._started


draining = Draining()


def drain_on_stop_signals() -> None:
    """Chain a handler in front of the stop signals' current ones (uvicorn's, while it serves), so that the
    process starts draining, and says so, the moment a signal arrives. Only the main thread may do this;
    elsewhere (an app embedded in a thread, tests) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        return
    for stop_signal in STOP_SIGNALS:
        previous = signal.getsignal(stop_signal)
        signal.signal(stop_signal, _draining_then(previous))


def _draining_then(
    previous: Callable[[int, FrameType | None], Any] | int | None,
) -> Callable[[int, FrameType | None], None]:
    def handle(received: int, frame: FrameType | None) -> None:
        if not draining:
            logger.info("stop signal: draining", extra={"fields": {"signal": signal.Signals(received).name}})
        draining.start()
        if callable(previous):
            previous(received, frame)

    return handle


def stop_workers_at_once(supervisor: "Multiprocess", grace: float) -> None:
    """uvicorn's worker supervisor looks at its signals twice a second, and until then its workers go on
    serving, /readyz included. Chained in front of its handlers, this passes a stop signal on to every
    worker at once; each drains as above. The handler only sets a flag and sends signals: anything that
    takes a lock could deadlock against the code it interrupted. The supervisor then waits for its workers,
    for `grace` seconds and a few more: a worker still there is killed (uvicorn would wait forever)."""
    for stop_signal in STOP_SIGNALS:
        previous = signal.getsignal(stop_signal)

        def handle(received: int, frame: FrameType | None, previous: Any = previous) -> None:
            draining.start()
            for worker in list(supervisor.processes):
                if worker.pid is not None:
                    # SIGTERM even for a SIGINT: a terminal's Ctrl-C reaches the workers too, and a second
                    # SIGINT would make uvicorn stop them without draining.
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(worker.pid, signal.SIGTERM)
            if callable(previous):
                previous(received, frame)

        signal.signal(stop_signal, handle)
    threading.Thread(
        target=_kill_stuck_workers, args=(supervisor, grace + 5), name="stop-watchdog", daemon=True
    ).start()


def _kill_stuck_workers(supervisor: "Multiprocess", allowed: float) -> None:
    while not draining:
        time.sleep(0.2)
    time.sleep(allowed)
    for worker in list(supervisor.processes):
        if worker.pid is not None and worker.exitcode is None:
            logger.error("a worker did not stop in time: killed", extra={"fields": {"pid": worker.pid}})
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)


def exit_cleanly_after_draining() -> None:
    """Make the stop signals, once uvicorn has drained and re-raises them, end the process with status 0."""
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, _exit_zero)


def _exit_zero(_received: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)
