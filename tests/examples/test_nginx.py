"""examples/nginx/nginx.conf, as shipped, in a real nginx in front of a small upstream and web3-auth."""

import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from tests.support.app import served
from tests.support.http_server import serving
from tests.support.redis_server import free_port
from tests.support.wallets import new_wallet, sign

CONFIG = Path(__file__).parents[2] / "examples" / "nginx" / "nginx.conf"


class Upstream(ThreadingHTTPServer):
    """The API behind nginx: answers 200 and remembers the headers of every request it saw, as a list of
    (lower-case name, value) in the order received, so a header sent twice shows twice."""

    def __init__(self) -> None:
        self.seen: list[list[tuple[str, str]]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server naming)
                upstream.seen.append([(name.lower(), value) for name, value in self.headers.items()])
                body = json.dumps({"ok": True}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *_: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def upstream_api() -> AbstractContextManager[Upstream]:
    return serving(Upstream())


def values(headers: list[tuple[str, str]], name: str) -> list[str]:
    """Every value the upstream got under `name` (lower case)."""
    return [value for seen_name, value in headers if seen_name == name]


def only(headers: list[tuple[str, str]], name: str) -> str:
    """The value of a header the upstream must have received exactly once."""
    found = values(headers, name)
    assert len(found) == 1, f"the upstream got {name} {len(found)} times: {found}"
    return found[0]


def auth_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.startswith("x-auth-")]


def nginx_binary() -> str:
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if binary is None:
        pytest.fail(
            "nginx is not installed: the forward-auth example is tested in a real nginx (apt-get install nginx)"
        )
    return binary


def headers_more_module() -> Path:
    """The headers-more module the shipped configuration loads (it clears the client's X-Auth-* headers)."""
    found = re.search(r"^load_module (\S+);$", CONFIG.read_text(), re.MULTILINE)
    assert found, f"{CONFIG} no longer loads the headers-more module"
    module = Path(found[1])
    if not module.is_file():
        pytest.fail(
            f"{module} is missing: the nginx example needs the headers-more module "
            "(apt-get install libnginx-mod-http-headers-more-filter)"
        )
    return module


def shipped_config(web3_auth_port: int, api_port: int, listen_port: int) -> str:
    """The shipped configuration with only its three addresses changed."""
    text = CONFIG.read_text()
    for old, new in [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{web3_auth_port};"),
        ("server 127.0.0.1:8080;", f"server 127.0.0.1:{api_port};"),
        ("listen 127.0.0.1:8081;", f"listen 127.0.0.1:{listen_port};"),
    ]:
        assert text.count(old) == 1, f"{CONFIG} no longer has exactly one `{old}`"
        text = text.replace(old, new)
    return text


@contextmanager
def nginx(config: str, port: int) -> Iterator[str]:
    headers_more_module()
    with tempfile.TemporaryDirectory(prefix="web3auth-nginx-") as prefix:
        (Path(prefix) / "nginx.conf").write_text(config)
        command = [nginx_binary(), "-p", prefix, "-c", "nginx.conf", "-g", f"daemon off; pid {prefix}/nginx.pid;"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz-probe", timeout=1)
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        process.kill()
                        pytest.fail(f"nginx did not start: {process.communicate()[1]}")
                    time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.communicate(timeout=10)


def sign_in_through(base_url: str) -> dict[str, str]:
    wallet = new_wallet()
    with httpx.Client(base_url=base_url) as http:
        message = http.post("/auth/challenge", json={"address": wallet.address}).json()["message"]
        response = http.post("/auth/verify", json={"message": message, "signature": sign(wallet, message)})
        assert response.status_code == 200, response.text
        return {**response.json(), "wallet": wallet.address}


def test_nginx_guards_the_api_with_forward_auth() -> None:
    listen = free_port()
    with upstream_api() as api, ExitStack() as web3_auth_running:
        web3_auth = web3_auth_running.enter_context(served(create_app(Settings())))
        web3_auth_port = int(web3_auth.rsplit(":", 1)[1])
        with nginx(shipped_config(web3_auth_port, api.port, listen), listen) as proxy:
            # no token: denied before the API
            response = httpx.get(f"{proxy}/orders")
            assert response.status_code == 401
            assert api.seen == []

            # sign in through the proxy, then call the API
            tokens = sign_in_through(proxy)
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            response = httpx.get(f"{proxy}/orders", headers=bearer)
            assert response.status_code == 200, response.text
            seen = api.seen[-1]
            assert only(seen, "x-auth-address") == tokens["wallet"]
            assert only(seen, "x-auth-chain-id") == "1"
            session = only(seen, "x-auth-session")
            assert session
            identity = sorted(auth_headers(seen))
            assert [name for name, _ in identity] == ["x-auth-address", "x-auth-chain-id", "x-auth-session"]
            assert not values(seen, "authorization")

            # a client cannot choose its identity: none of its X-Auth-* headers reaches the API, whatever
            # the name (web3-auth's three or any other), the case, or how often it is sent
            victim = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
            spoofs: list[list[tuple[str, str]]] = [
                [("X-Auth-Address", victim)],
                [("x-auth-address", victim)],
                [("X-Auth-Address", victim), ("X-Auth-Address", victim)],
                [("X-Auth-Session", "other")],
                [("X-Auth-Role", "admin")],
                [("x-auth-role", "admin"), ("X-AUTH-ROLE", "admin")],
                [("X-Auth-Address", victim), ("X-Auth-Role", "admin"), ("X-Auth-Tenant", "other")],
            ]
            for spoof in spoofs:
                api.seen.clear()
                response = httpx.get(f"{proxy}/orders", headers=[*bearer.items(), *spoof])
                assert response.status_code == 200, spoof
                assert sorted(auth_headers(api.seen[-1])) == identity, spoof
                api.seen.clear()
                assert httpx.get(f"{proxy}/orders", headers=spoof).status_code == 401
                assert api.seen == []
            # headers that only begin like the prefix are the client's own business
            api.seen.clear()
            assert httpx.get(f"{proxy}/orders", headers={**bearer, "X-Authority": "kept"}).status_code == 200
            assert only(api.seen[-1], "x-authority") == "kept"

            # a body is not forwarded to web3-auth, and does not change the decision
            assert httpx.post(f"{proxy}/orders", headers=bearer, content=b"x" * 100_000).status_code == 200

            # after logout the token is refused
            assert httpx.post(f"{proxy}/auth/logout", headers=bearer).status_code == 204
            api.seen.clear()
            response = httpx.get(f"{proxy}/orders", headers=bearer)
            assert response.status_code == 401
            assert 'error="invalid_token"' in response.headers.get("www-authenticate", "")
            assert api.seen == []

            # web3-auth stops: nginx must deny (it answers 500), never let the request through
            other = {"Authorization": f"Bearer {sign_in_through(proxy)['access_token']}"}
            assert httpx.get(f"{proxy}/orders", headers=other).status_code == 200
            web3_auth_running.close()
            api.seen.clear()
            response = httpx.get(f"{proxy}/orders", headers=other)
            assert response.status_code == 500
            assert api.seen == []


def test_behind_nginx_each_client_ip_has_its_own_budget_and_cannot_forge_another() -> None:
    """web3-auth trusts nginx (127.0.0.1) and takes the client from the X-Forwarded-For entry nginx appends.
    The clients connect from other loopback addresses, so nginx sees each one's own address."""
    listen = free_port()
    settings = Settings(trusted_proxies=["127.0.0.1/32"], rate_limit_ip="3/minute")
    with upstream_api() as api, served(create_app(settings)) as web3_auth:
        web3_auth_port = int(web3_auth.rsplit(":", 1)[1])
        with nginx(shipped_config(web3_auth_port, api.port, listen), listen) as proxy:

            def client_at(address: str) -> httpx.Client:
                return httpx.Client(base_url=proxy, transport=httpx.HTTPTransport(local_address=address))

            with client_at("127.0.0.3") as first, client_at("127.0.0.4") as second:
                for index in range(3):  # whatever it claims to be, the first client spends its own budget
                    response = first.get("/auth/me", headers={"X-Forwarded-For": f"198.51.100.{index}"})
                    assert response.status_code == 401
                response = first.get("/auth/me", headers={"X-Forwarded-For": "127.0.0.4"})
                assert (response.status_code, response.json()["error"]) == (429, "rate_limited")
                assert second.get("/auth/me").status_code == 401  # the second one's budget is untouched
