"""/auth/client.js (always) and the demo page (AUTH_DEMO): what is served, with which headers; one copy of the
client, in the package and in every install."""

import fnmatch
import tomllib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.api.routes.frontend import STATIC
from app.config import Settings
from tests.support.app import GENEROUS_LIMITS, app_client
from tests.support.process import ROOT
from tests.test_deploy_kits import dockerignore_excludes

CLIENT_LINK = ROOT / "clients" / "js" / "web3-auth.js"


@pytest.fixture
async def http(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    async with app_client(Settings(redis_url=None, **GENEROUS_LIMITS, **overrides)) as client:
        yield client


async def test_the_client_module_is_served(http: httpx.AsyncClient) -> None:
    response = await http.get("/auth/client.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["access-control-allow-origin"] == "*"  # any page may import it, without credentials
    assert "access-control-allow-credentials" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == CLIENT_LINK.read_bytes()
    assert b"export class Web3Auth" in response.content


def test_clients_js_links_to_the_one_copy_the_service_serves() -> None:
    assert CLIENT_LINK.is_symlink()
    assert CLIENT_LINK.resolve() == (ROOT / "app" / "static" / "web3-auth.js").resolve()


def test_every_served_file_is_package_data() -> None:
    # what a non-editable install (the wheel, the Docker image) ships of app/
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["app"]
    served = [path.name for path in STATIC.iterdir() if path.is_file()]  # type: ignore[attr-defined]
    assert sorted(served) == [
        "demo.html",
        "demo.js",
        "oidc-message.html",
        "oidc-signin.css",
        "oidc-signin.html",
        "oidc-signin.js",
        "web3-auth.js",
    ]
    for name in served:
        assert any(fnmatch.fnmatch(f"static/{name}", pattern) for pattern in package_data), name
        assert not dockerignore_excludes(f"app/static/{name}"), name  # the image's `pip install .` sees it


@pytest.mark.parametrize("path", ["/demo", "/demo.js"])
async def test_no_demo_unless_configured(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("http", [{"demo": True}], indirect=True)
async def test_the_demo_page(http: httpx.AsyncClient) -> None:
    page = await http.get("/demo")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert '<script type="module" src="demo.js"></script>' in page.text
    script = await http.get("/demo.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    # relative, so that the demo works under a root path too
    assert 'import { Web3Auth } from "./auth/client.js";' in script.text


@pytest.mark.parametrize("http", [{"demo": True}], indirect=True)
async def test_frontend_routes_stay_out_of_the_api_schema(http: httpx.AsyncClient) -> None:
    paths = (await http.get("/openapi.json")).json()["paths"]
    assert not {"/auth/client.js", "/demo", "/demo.js"} & set(paths)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_the_client_module_only_answers_get(http: httpx.AsyncClient, method: str) -> None:
    response = await http.request(method, "/auth/client.js")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


async def test_loading_the_client_module_spends_no_sign_in_budget() -> None:
    tight = Settings(redis_url=None, rate_limit_ip="2/minute")
    async with app_client(tight) as http:
        for _ in range(5):
            assert (await http.get("/auth/client.js")).status_code == 200
        statuses = [(await http.get("/auth/me")).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]  # the per-IP limit still holds for the API
