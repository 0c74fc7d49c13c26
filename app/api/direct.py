"""The hottest routes, answered without going through FastAPI's router.

A sidecar's proxy calls forward-auth once for every API call it guards, and services call /auth/me as
often. FastAPI's exception middleware, exit stack, router (a match against every route before them) and
request wrapper cost more than the work itself: in the load benchmark, forward-auth went from 0.45 to 0.81
of the framework's ceiling when answered here. Same functions, same answers, errors in the same envelope;
their FastAPI routes document them in the OpenAPI schema (forward-auth's any method, WebDAV's or a client's
own verbs included, is answered only here).
"""

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.handlers import render
from app.api.paths import PathTree, route_path
from app.errors import AuthError

Handler = Callable[[Request], Awaitable[Response]]


Route = tuple[frozenset[str] | None, Handler]


class DirectRoutes:
    """Pure ASGI: `routes` maps a path to the methods it answers here (None: any) and its handler, `trees`
    likewise a path and every path under it (app.api.paths.PathTree); anything else, other methods included
    (a 405 is the router's), goes on to the application."""

    def __init__(self, app: ASGIApp, routes: Mapping[str, Route], trees: Mapping[str, Route] | None = None) -> None:
        self.app = app
        self.routes = {**routes, **(trees or {})}
        self.paths = PathTree(trees or (), exact=routes)

    def _route(self, path: str) -> Route | None:
        template = self.paths.template(path)
        return None if template is None else self.routes[template]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._route(route_path(scope)) if scope["type"] == "http" else None
        if route is None or (route[0] is not None and scope["method"] not in route[0]):
            await self.app(scope, receive, send)
            return
        try:
            response = await route[1](Request(scope, receive))
        except AuthError as error:
            response = render(error)
        await response(scope, receive, send)
