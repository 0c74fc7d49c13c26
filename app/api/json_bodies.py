"""JSON request bodies, parsed as Starlette does (Python's json), but never deeper than MAX_NESTING.

Python's parser is bounded only by the interpreter's recursion limit, which any imported module may raise
(py_ecc sets 100,000 on import): how deep a body may be must not depend on what else the process imported.
A body nested deeper than MAX_NESTING is a 400 (unreadable, as FastAPI answers any body it fails to parse);
everything else parses exactly as before. Counting brackets is C-fast; only a body holding more than
MAX_NESTING of them is scanned for its real depth (strings skipped).
"""

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

MAX_NESTING = 512  # far below Python's default recursion limit (1000), far above any body of ours (2)
_STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class NestedTooDeep(ValueError):
    """Not a JSONDecodeError, so that FastAPI reports it as an unreadable body (400), not as invalid JSON."""


def nesting_depth(body: bytes) -> int:
    depth = deepest = 0
    for token in _STRING_OR_BRACKET.finditer(body):
        first = token.group()[:1]
        if first in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif first in (b"]", b"}"):
            depth -= 1
    return deepest


def load_json(body: bytes) -> Any:
    if body.count(b"[") + body.count(b"{") > MAX_NESTING and nesting_depth(body) > MAX_NESTING:
        raise NestedTooDeep(f"the JSON body is nested deeper than {MAX_NESTING} levels")
    return json.loads(body)


class BoundedJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = load_json(await self.body())
        return self._json


class BoundedJsonRoute(APIRoute):
    """A route whose JSON body is read by load_json (app.api.table.install gives it to every route)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            return await handler(BoundedJsonRequest(request.scope, request.receive))

        return handle
