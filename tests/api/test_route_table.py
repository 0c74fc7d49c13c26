"""The route table (app.api.table) is what is documented and what is served: every documented operation is
answered by the endpoint declared for it, with a status and an error code it documents; every declared
endpoint is documented (or declared undocumented); nothing else answers."""

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import Body, FastAPI
from pydantic import BaseModel
from starlette.routing import Match

from app.api.dispatch import DispatchTable
from app.api.table import OPENAPI_METHODS, Endpoint, Routes
from app.config import Settings
from app.main import create_app
from tests.support.app import GENEROUS_LIMITS

# a value for each path parameter of the schema, so that a documented path can be requested as it is
PATH_VALUES = {"{account}": "eip155:1:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"}
_CODES = re.compile(r"`([a-z_]+)`")


def _served_app() -> FastAPI:
    return create_app(Settings(**GENEROUS_LIMITS))


def _dispatch_table(app: FastAPI) -> DispatchTable:
    """The DispatchTable in the app's middleware stack: the one that serves."""
    layer: Any = app.middleware_stack
    while layer is not None and not isinstance(layer, DispatchTable):
        layer = getattr(layer, "app", None)
    assert isinstance(layer, DispatchTable), "no DispatchTable in the middleware stack"
    return layer


def _documented(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def _concrete(path: str) -> str:
    for template, value in PATH_VALUES.items():
        path = path.replace(template, value)
    return path


def _declared(table: list[Endpoint]) -> set[tuple[str, str]]:
    return {
        (method, endpoint.path)
        for endpoint in table
        if endpoint.documented
        for method in (OPENAPI_METHODS if endpoint.methods is None else endpoint.methods)
    }


@pytest.fixture
async def client_and_app() -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    app = _served_app()
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, app


def test_the_schema_documents_the_table_and_nothing_else() -> None:
    app = _served_app()
    table: list[Endpoint] = app.state.route_table
    assert set(_documented(app.openapi())) == _declared(table)


async def test_each_documented_operation_is_served_by_its_declared_endpoint(
    client_and_app: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    client, app = client_and_app
    await client.get("/healthz")  # builds the middleware stack
    table: list[Endpoint] = app.state.route_table
    dispatch = _dispatch_table(app)
    for endpoint in table:
        for method in OPENAPI_METHODS if endpoint.methods is None else endpoint.methods:
            scope = {"type": "http", "method": method, "path": _concrete(endpoint.path), "root_path": ""}
            direct = dispatch.resolve(method, scope["path"])
            if endpoint.direct:
                assert direct is not None, (method, endpoint.path)
                assert direct.endpoint is endpoint, (method, endpoint.path)
                continue
            assert direct is None, (method, endpoint.path)
            matched = [route for route in app.router.routes if route.matches(scope)[0] is Match.FULL]
            assert matched, (method, endpoint.path)
            assert getattr(matched[0], "endpoint", None) is endpoint.handler, (method, endpoint.path)


async def test_each_documented_operation_answers_with_a_status_and_code_it_documents(
    client_and_app: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    client, app = client_and_app
    for (method, path), operation in _documented(app.openapi()).items():
        for body in (None, b"{}"):
            headers = {"content-type": "application/json"} if body is not None else {}
            response = await client.request(method, _concrete(path), content=body, headers=headers)
            documented = operation["responses"].get(str(response.status_code))
            assert documented is not None, (method, path, body, response.status_code, response.text[:200])
            if (
                response.status_code >= 400
                and method != "HEAD"
                and response.headers["content-type"] == "application/json"
            ):
                answer = response.json()
                schema = documented["content"]["application/json"]["schema"]
                if "detail" in answer:  # the service's envelope: documented as ErrorBody, with its code listed
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, schema)
                    assert answer["error"] in _CODES.findall(documented["description"]), (method, path, answer)
                else:  # OAuth's own shape (RFC 6749 §5.2)
                    assert schema == {"$ref": "#/components/schemas/OAuthErrorBody"}, (method, path, schema)


async def test_methods_and_paths_outside_the_table_are_not_served(
    client_and_app: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    client, app = client_and_app
    documented = _documented(app.openapi())
    for path in {path for _, path in documented}:
        answered = {method for method, each in documented if each == path}
        for method in OPENAPI_METHODS:
            if method in answered or (method == "HEAD" and "GET" in answered):  # HEAD is GET without its body
                continue
            response = await client.request(method, _concrete(path))
            assert response.status_code == 405, (method, path, response.status_code)
            if method != "HEAD":
                assert response.json()["error"] == "method_not_allowed", (method, path)
            assert set(response.headers["allow"].split(", ")) == answered, (method, path)
    response = await client.get("/auth/unknown")
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


class _Body(BaseModel):
    x: int


async def _embedded(request: object, body: Annotated[_Body, Body(embed=True)]) -> None:  # noqa: ARG001
    pass


async def _body_default(request: object, body: _Body = Body(None)) -> None:  # noqa: ARG001, B008
    pass


async def _with_a_dependency(request: object, token: str) -> None:  # noqa: ARG001
    pass


@pytest.mark.parametrize("handler", [_embedded, _body_default, _with_a_dependency])
def test_a_direct_endpoint_takes_only_what_the_dispatcher_reads_as_fastapi_would(handler: Any) -> None:
    with pytest.raises(TypeError, match="direct endpoint"):
        Routes().add("/x", handler, methods=("POST",), direct=True)
