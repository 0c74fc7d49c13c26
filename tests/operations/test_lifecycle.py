"""`python -m app` starting and stopping as an orchestrator drives it: SIGTERM in the middle of a burst of
sign-ins, and a start while Redis is not there yet."""

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.support.process import serving, shared_state_settings, started_app
from tests.support.raw_http import send, written
from tests.support.redis_server import RedisServer, delete_prefix, free_port
from tests.support.wallets import new_wallet, sign

GRACE = 5


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_sigterm_during_a_burst_drains_every_accepted_sign_in_then_exits_0(
    workers: str, redis_url: str, tmp_path: Path
) -> None:
    """Every sign-in either gets its answer or was never begun: a request the closing listener refused (still in
    the kernel's queue) keeps its nonce, so the client's retry on another replica signs in."""
    burst = 60
    settings = shared_state_settings(redis_url, tmp_path, AUTH_RATE_LIMIT_IP="10000/minute", AUTH_WORKERS=workers)
    try:
        with started_app(AUTH_SHUTDOWN_GRACE=str(GRACE), **settings) as app:
            bodies = []
            async with httpx.AsyncClient(base_url=app.url) as http:
                for _ in range(burst):
                    wallet = new_wallet()
                    challenge = await http.post("/auth/challenge", json={"address": wallet.address})
                    message = challenge.json()["message"]
                    bodies.append({"message": message, "signature": sign(wallet, message)})
            assert (await send(app.url, "GET", "/readyz")).status == 200

            sign_ins = [await written(app.url, "POST", "/auth/verify", body) for body in bodies]
            app.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()

            readiness: list[int] = []
            while app.process.poll() is None and time.monotonic() - signalled < GRACE + 5:
                try:
                    readiness.append((await send(app.url, "GET", "/readyz")).status)
                except OSError:
                    readiness.append(0)  # no longer accepting connections: fine
                await asyncio.sleep(0.01)
            # bounded: a worker that hangs instead of draining must fail the test, not stall the suite
            answers = await asyncio.wait_for(asyncio.gather(*sign_ins, return_exceptions=True), GRACE + 5)
            exit_status = app.process.wait(timeout=GRACE + 5)
            stopped_after = time.monotonic() - signalled
            output = app.output()

        assert exit_status == 0, output[-2000:]
        assert stopped_after < GRACE + 1
        assert 200 not in readiness, readiness
        assert "stop signal: draining" in output
        answered = [answer.status for answer in answers if not isinstance(answer, BaseException)]
        assert answered, answers  # the drain had sign-ins to finish
        assert answered == [200] * len(answered), answered
        unanswered = [body for body, answer in zip(bodies, answers, strict=True) if isinstance(answer, OSError)]
        assert len(answered) + len(unanswered) == burst, answers
        with serving(**settings) as replica, httpx.Client(base_url=replica) as http:
            for body in unanswered:
                assert http.post("/auth/verify", json=body).status_code == 200
    finally:
        delete_prefix(redis_url, settings["AUTH_REDIS_PREFIX"])


def test_a_start_without_redis_serves_503_until_redis_answers() -> None:
    port = free_port()
    redis_server = RedisServer(port)
    with started_app(AUTH_REDIS_URL=f"redis://127.0.0.1:{port}/0") as app, httpx.Client(base_url=app.url) as http:
        assert http.get("/healthz").status_code == 200
        assert http.get("/readyz").status_code == 503
        wallet = new_wallet()
        response = http.post("/auth/challenge", json={"address": wallet.address})
        assert (response.status_code, response.json()["error"]) == (503, "store_unavailable")
        redis_server.start()
        try:
            deadline = time.monotonic() + 10
            while http.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "not ready after Redis came up"
                time.sleep(0.1)
            response = http.post("/auth/challenge", json={"address": wallet.address})
            assert response.status_code == 200, response.text
        finally:
            redis_server.stop()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_stop_signals_in_quick_succession_still_end_in_a_clean_exit(
    workers: str, redis_url: str, tmp_path: Path
) -> None:
    """An orchestrator may signal twice; a supervisor relays the signal and uvicorn's sends its own. A handler
    interrupted by the next signal must not deadlock (a lock in the draining flag once did)."""
    settings = shared_state_settings(redis_url, tmp_path, AUTH_WORKERS=workers)
    try:
        with started_app(AUTH_SHUTDOWN_GRACE=str(GRACE), **settings) as app:
            for stop_signal in (signal.SIGTERM, signal.SIGTERM, signal.SIGINT, signal.SIGTERM):
                app.process.send_signal(stop_signal)
            exit_status = app.process.wait(timeout=GRACE + 5)
            output = app.output()
        assert exit_status == 0, output[-2000:]
    finally:
        delete_prefix(redis_url, settings["AUTH_REDIS_PREFIX"])


def test_a_worker_that_does_not_stop_is_killed_after_the_grace_period(redis_url: str, tmp_path: Path) -> None:
    settings = shared_state_settings(redis_url, tmp_path, AUTH_WORKERS="2")
    grace = 1
    try:
        with started_app(AUTH_SHUTDOWN_GRACE=str(grace), **settings) as app:
            children = Path(f"/proc/{app.process.pid}/task/{app.process.pid}/children").read_text().split()
            workers = [pid for pid in map(int, children) if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]
            assert len(workers) == 2, children
            os.kill(workers[0], signal.SIGSTOP)  # frozen: it will never drain
            signalled = time.monotonic()
            app.process.send_signal(signal.SIGTERM)
            app.process.wait(timeout=grace + 15)
            stopped_after = time.monotonic() - signalled
            output = app.output()
        # killed by our watchdog after grace + 5 s, or by uvicorn's health check if that came first
        assert stopped_after < grace + 10, output[-2000:]
        assert not Path(f"/proc/{workers[0]}").exists() or "zombie" in Path(f"/proc/{workers[0]}/status").read_text()
    finally:
        delete_prefix(redis_url, settings["AUTH_REDIS_PREFIX"])
