"""The route table: every endpoint declared once, and from that one declaration both what serves it and what
documents it.

A route module declares its endpoints on a `Routes` (`@routes.post("/verify", direct=True, ...)`, with the
keyword arguments FastAPI's routes take). `install` then adds each endpoint to FastAPI, which documents all
of them (the OpenAPI schema comes from those routes) and serves those that need its request handling (forms,
path and query parameters, dependencies); the `direct` ones, the hottest, are served by app.api.dispatch from
the same declaration, below FastAPI's router: same handler, same body model, same errors.
"""

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar, get_origin

from fastapi import FastAPI
from pydantic.fields import FieldInfo

from app.api.json_bodies import BoundedJsonRoute

Handler = Callable[..., Awaitable[Any]]
H = TypeVar("H", bound=Handler)
# The methods an OpenAPI path item can hold: what an endpoint answering any method is documented with.
OPENAPI_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


@dataclass(frozen=True)
class Endpoint:
    """One endpoint. `methods` None: any method (each OpenAPI method documented as an operation of its own,
    operation id `<operation_id>_<method>`); `subtree`: every path under `path` too; `direct`: served by
    app.api.dispatch, which needs a handler taking `request` and, for a JSON body, `body` (a pydantic model,
    optional when it has a default); `per_ip_with_store`: its per-IP hit may wait for its first store operation
    (app.api.ratelimit), for it reads no store and calls no one before; `options`: FastAPI's route keyword
    arguments (summary, responses, ...)."""

    path: str
    methods: tuple[str, ...] | None
    handler: Handler
    direct: bool = False
    subtree: bool = False
    per_ip_with_store: bool = False
    tags: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def documented(self) -> bool:
        return bool(self.options.get("include_in_schema", True))

    def answers(self, method: str) -> bool:
        return self.methods is None or method in self.methods or (method == "HEAD" and "GET" in self.methods)


class Routes:
    """The endpoints of one route module, declared with decorators shaped like FastAPI's."""

    def __init__(self, *, prefix: str = "", tags: Iterable[str] = ()) -> None:
        self.prefix, self.tags = prefix, tuple(tags)
        self.endpoints: list[Endpoint] = []

    def add(
        self,
        path: str,
        handler: Handler,
        *,
        methods: Iterable[str] | None,
        direct: bool = False,
        subtree: bool = False,
        per_ip_with_store: bool = False,
        **options: Any,
    ) -> None:
        declared = Endpoint(
            self.prefix + path,
            None if methods is None else tuple(methods),
            handler,
            direct=direct,
            subtree=subtree,
            per_ip_with_store=per_ip_with_store,
            tags=self.tags,
            options=options,
        )
        if direct:
            _check_direct(declared)
        self.endpoints.append(declared)

    def route(self, path: str, *, methods: Iterable[str] | None, **options: Any) -> Callable[[H], H]:
        def declare(handler: H) -> H:
            self.add(path, handler, methods=methods, **options)
            return handler

        return declare

    def get(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route(path, methods=("GET",), **options)

    def post(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route(path, methods=("POST",), **options)

    def delete(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route(path, methods=("DELETE",), **options)


def _check_direct(endpoint: Endpoint) -> None:
    """What app.api.dispatch can call: `request`, and at most a JSON `body` that is a plain annotation with a
    plain default (FastAPI would read `Body(embed=True)`, an alias or a `Body(...)` default its own way)."""
    parameters = inspect.signature(endpoint.handler, eval_str=True).parameters
    if not set(parameters) <= {"request", "body"} or "{" in endpoint.path:
        raise TypeError(f"{endpoint.path}: a direct endpoint's handler takes only `request` and `body`")
    body = parameters.get("body")
    if body is not None and (get_origin(body.annotation) is Annotated or isinstance(body.default, FieldInfo)):
        raise TypeError(f"{endpoint.path}: a direct endpoint's body is a plain model annotation, without Body()")


def install(app: FastAPI, endpoints: Iterable[Endpoint]) -> None:
    """Add every endpoint to the application's FastAPI router (which documents them all)."""
    for endpoint in endpoints:
        methods = OPENAPI_METHODS if endpoint.methods is None else endpoint.methods
        for method in methods:
            options = dict(endpoint.options)
            if endpoint.methods is None:  # one operation per method, so that each has its own operationId
                options["operation_id"] = f"{options['operation_id']}_{method.lower()}"
            elif len(methods) > 1:
                raise ValueError(f"{endpoint.path}: declare one endpoint per method")
            app.router.add_api_route(
                endpoint.path,
                endpoint.handler,
                methods=[method],
                tags=list(endpoint.tags) or None,
                route_class_override=BoundedJsonRoute,
                **options,
            )
