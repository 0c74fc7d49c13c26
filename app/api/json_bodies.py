"""JSON request bodies, parsed as Starlette does (Python's json), but never deeper than MAX_NESTING.

Python's parser is bounded only by the interpreter's recursion limit, which any imported module may raise
(py_ecc sets 100,000 on import): how deep a body may be must not depend on what else the process imported.
A body nested deeper than MAX_NESTING is a 400 (unreadable, as FastAPI answers any body it fails to parse);
everything else parses exactly as before. Counting brackets is C-fast; only a body holding more than
MAX_NESTING of them is scanned for its real depth (strings skipped).
"""

import email.message
import json
import re
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from app.errors import InvalidRequest, MalformedRequest

MAX_NESTING = 512  # far below Python's default recursion limit (1000), far above any body of ours (2)
_MAX_VALIDATION_PROBLEMS = 3
UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's words for it
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
    """A route whose JSON body is read by load_json: `APIRouter(route_class=BoundedJsonRoute)`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            return await handler(BoundedJsonRequest(request.scope, request.receive))

        return handle


@dataclass(frozen=True)
class BodyShape:
    """A route's JSON body: its type (a model, or a model or None) and whether a request must send one."""

    adapter: TypeAdapter[Any]
    required: bool
    default: Any = None


async def read_body(request: Request, shape: BodyShape) -> Any:
    """The request's body validated as FastAPI's route for it would (same rules, same errors), for the
    endpoints app.api.dispatch serves: JSON when the Content-Type says JSON (strict: none is not JSON), the
    raw bytes otherwise (which no model accepts); InvalidRequest for what does not validate, MalformedRequest
    for what does not parse. A client gone before its body was whole: ClientDisconnect."""
    raw = await request.body()
    body: Any = None if not raw else raw
    if raw and _declares_json(request.headers.get("content-type")):
        try:
            body = load_json(raw)
        except json.JSONDecodeError as error:
            raise InvalidRequest(
                describe_problems([{"loc": ("body", error.pos), "msg": "JSON decode error"}])
            ) from None
        except ValueError:  # NestedTooDeep, bytes that are not UTF-8
            raise MalformedRequest(UNREADABLE_BODY) from None
    if not raw:
        if shape.required:
            raise InvalidRequest(describe_problems([{"loc": ("body",), "msg": "Field required"}]))
        return shape.default
    try:
        return shape.adapter.validate_python(body, from_attributes=True)
    except ValidationError as error:
        problems = [{**problem, "loc": ("body", *problem["loc"])} for problem in error.errors(include_url=False)]
        raise InvalidRequest(describe_problems(problems)) from None


def _declares_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def describe_problems(problems: Sequence[Mapping[str, Any]]) -> str:
    """A validation failure in one line: the first few problems, each as `location: message`."""
    described = []
    for item in problems[:_MAX_VALIDATION_PROBLEMS]:
        location = ".".join(str(part) for part in item.get("loc", ()) if part != "body") or "body"
        described.append(f"{location}: {str(item.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return "; ".join(described)
