"""The hot endpoints (app.api.table, `direct=True`), answered below FastAPI's router from their declaration.

For these, FastAPI's exception middleware, exit stacks, router (a match against every route before them),
dependency solving and request wrapper cost more than the work itself (issue 7's profile: a quarter of a
sign-in's CPU). Here a request for one of them finds its endpoint with one dictionary look-up, its JSON body is
read and validated exactly as FastAPI would (app.api.bodies.read_body), and the handler is called. The
answers, errors in the same envelope, are those of the FastAPI route built from the same declaration, which
the OpenAPI schema documents. Other methods of these paths go on to FastAPI's router, which answers 405.
"""

import inspect
from collections.abc import Iterable
from typing import Any

from pydantic import TypeAdapter
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.asgi import PathTree, route_path
from app.api.bodies import BodyShape, read_body
from app.api.handlers import client_closed, render
from app.api.table import Endpoint
from app.errors import AuthError


class _Direct:
    """An endpoint as it is dispatched: how its body is read (None: never read)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.path = endpoint.path  # the route label (app.api.middleware.telemetry reads scope["route"].path)
        self.body = _body_shape(endpoint)

    async def __call__(self, request: Request) -> Response:
        handler = self.endpoint.handler
        if self.body is None:
            response: Response = await handler(request=request)
        else:
            response = await handler(request=request, body=await read_body(request, self.body))
        return response


def _body_shape(endpoint: Endpoint) -> BodyShape | None:
    parameter = inspect.signature(endpoint.handler, eval_str=True).parameters.get("body")
    if parameter is None:
        return None
    required = parameter.default is inspect.Parameter.empty
    return BodyShape(
        TypeAdapter(parameter.annotation), required=required, default=None if required else parameter.default
    )


class DispatchTable:
    """Pure ASGI: answer the direct endpoints; anything else goes on to the application."""

    def __init__(self, app: ASGIApp, endpoints: Iterable[Endpoint]) -> None:
        self.app = app
        direct = [endpoint for endpoint in endpoints if endpoint.direct]
        self.by_path: dict[str, list[_Direct]] = {}
        for endpoint in direct:
            self.by_path.setdefault(endpoint.path, []).append(_Direct(endpoint))
        self.paths = PathTree(
            (endpoint.path for endpoint in direct if endpoint.subtree),
            exact=(endpoint.path for endpoint in direct),
        )

    def resolve(self, method: str, path: str) -> _Direct | None:
        """The direct endpoint that answers `method` on `path`, if one does."""
        template = self.paths.template(path)
        if template is None:
            return None
        return next((each for each in self.by_path[template] if each.endpoint.answers(method)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.resolve(scope["method"], route_path(scope)) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = found
        response: Any
        try:
            response = await found(Request(scope, receive))
        except AuthError as error:
            response = render(error)
        except ClientDisconnect:
            response = client_closed()
        await response(scope, receive, send)
