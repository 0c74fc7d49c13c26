"""The request bodies of the endpoints app.api.dispatch serves, validated as FastAPI's routes for them would:
the same rules, the same errors (in one line each: `describe_problems`)."""

import email.message
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request

from app.api.json_bodies import load_json
from app.errors import InvalidRequest, MalformedRequest

_MAX_VALIDATION_PROBLEMS = 3
UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's words for it


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
    body: Any = raw
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
