"""The HTTP server's own limits (app.http_limits), against `python -m app` on real sockets."""

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import ValidationError

from app.config import Settings
from tests.support.app import app_client
from tests.support.process import RunningApp, started_app

CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def running() -> Iterator[RunningApp]:
    with started_app(AUTH_HEADER_TIMEOUT="1.5", AUTH_BODY_TIMEOUT="1.5", AUTH_MAX_CONNECTIONS="8") as app:
        yield app


def connect(app: RunningApp) -> socket.socket:
    url = urlsplit(app.url)
    assert url.hostname is not None
    assert url.port is not None
    return socket.create_connection((url.hostname, url.port), timeout=10)


def answer(sock: socket.socket) -> bytes:
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def body_of(response: bytes) -> dict[str, str]:
    body: dict[str, str] = json.loads(response.partition(b"\r\n\r\n")[2])
    return body


def healthz_seconds(app: RunningApp) -> float:
    started = time.monotonic()
    assert httpx.get(f"{app.url}/healthz", timeout=5).status_code == 200
    return time.monotonic() - started


def send_until_refused(sock: socket.socket, head: bytes, filler: bytes, total: int, cap: int) -> tuple[bytes, float]:
    """Send `head`, then `filler` chunks up to `total` bytes, stopping once refused; the answer and the seconds
    from crossing `cap` to the refusal."""
    sock.sendall(head)
    sent, crossed = len(head), None
    sock.settimeout(0.001)
    while sent < total:
        try:
            sock.sendall(filler)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            break
        sent += len(filler)
        if crossed is None and sent > cap:
            crossed = time.monotonic()
        try:
            sock.recv(1, socket.MSG_PEEK)  # an answer, or the end of the connection
            break
        except (BlockingIOError, TimeoutError):
            continue
        except ConnectionResetError:
            break
    sock.settimeout(10)
    response = answer(sock)
    assert crossed is not None
    return response, time.monotonic() - crossed


def test_a_64_mib_header_is_refused_at_the_cap(running: RunningApp) -> None:
    with connect(running) as sock:
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
        response, seconds = send_until_refused(sock, head, b"a" * CHUNK, 64 * 1024 * 1024, 64 * 1024)
    assert seconds < 0.1
    assert status_of(response) == 431
    assert body_of(response)["error"] == "headers_too_large"
    assert healthz_seconds(running) < 1
    time.sleep(0.3)  # the log is written in batches
    assert "header_too_large" in running.output()


def test_a_1_mib_url_is_refused_at_the_cap(running: RunningApp) -> None:
    with connect(running) as sock:
        response, seconds = send_until_refused(sock, b"GET /", b"a" * 4096, 1024 * 1024, 16 * 1024)
    assert seconds < 0.1
    assert status_of(response) == 414
    assert body_of(response)["error"] == "url_too_long"
    assert healthz_seconds(running) < 1


def trickle(sock: socket.socket, byte: bytes) -> tuple[bytes, float]:
    """Send `byte` every half second until the server answers or closes; its answer and the seconds it took."""
    started = time.monotonic()
    sock.settimeout(0.5)
    response = b""
    while time.monotonic() - started < 10:
        try:
            sock.sendall(byte)
            response = sock.recv(65536)
            break
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
    return response, time.monotonic() - started


def test_headers_trickling_in_are_cut_at_the_header_timeout(running: RunningApp) -> None:
    with connect(running) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        response, elapsed = trickle(sock, b"X")
    assert 1.4 < elapsed < 5
    assert status_of(response) == 408
    assert body_of(response)["error"] == "request_timeout"
    time.sleep(0.3)  # the log is written in batches
    assert '"reason":"header_timeout"' in running.output()


def test_a_body_trickling_in_is_cut_at_the_body_timeout(running: RunningApp) -> None:
    with connect(running) as sock:
        sock.sendall(
            b"POST /auth/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"
        )
        response, elapsed = trickle(sock, b" ")
    assert 1.4 < elapsed < 5
    assert status_of(response) == 408
    time.sleep(0.3)
    assert '"reason":"body_timeout"' in running.output()


def test_past_the_connection_cap_a_client_is_refused_and_then_served_again(running: RunningApp) -> None:
    held = [connect(running) for _ in range(8)]
    try:
        time.sleep(0.2)
        with connect(running) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            response = answer(sock)
        assert status_of(response) == 503
        assert body_of(response)["error"] == "too_many_connections"
        assert b"retry-after: 1" in response
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    assert healthz_seconds(running) < 1
    metrics = httpx.get(f"{running.url}/metrics").text
    assert 'web3auth_http_connections_closed_total{reason="too_many_connections"}' in metrics


@pytest.mark.parametrize(("method", "path"), [("POST", "/auth/refresh/"), ("GET", "/auth/me/")])
async def test_no_trailing_slash_redirect(method: str, path: str) -> None:
    async with app_client(Settings()) as client:
        response = await client.request(method, path, headers={"Host": "evil.example"})
    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.json()["error"] == "not_found"


def test_no_trailing_slash_redirect_from_the_served_process(running: RunningApp) -> None:
    with connect(running) as sock:
        sock.sendall(
            b"POST /auth/refresh/ HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        response = answer(sock)
    assert status_of(response) == 404
    assert b"location" not in response.lower()


def test_a_header_line_cap_over_the_total_cap_is_refused() -> None:
    with pytest.raises(ValidationError, match="AUTH_MAX_HEADER_LINE_BYTES"):
        Settings(max_header_line_bytes=32768, max_header_bytes=16384)
