"""One rendering for every error: `{"error": code, "detail": text}` with the error's status and headers."""

from collections import defaultdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Match

from app.api.bodies import describe_problems
from app.api.openapi import documented_headers
from app.api.schemas import ErrorBody
from app.errors import (
    AuthError,
    InternalError,
    InvalidRequest,
    MalformedRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
)
from app.observability.outcomes import note_outcome

_CODES_BY_STATUS = {
    400: MalformedRequest.code,
    404: NotFound.code,
    405: MethodNotAllowed.code,
    413: PayloadTooLarge.code,
}
# A client that went away before its request was whole: not a bad request of its own (nginx says 499 too).
CLIENT_CLOSED, CLIENT_CLOSED_STATUS = "client_closed", 499


# What render adds to every error's own headers (AuthError.header_docs), for the OpenAPI schema.
RENDERED_HEADER_DOCS = {"Cache-Control": "`no-store`: no cache keeps a refusal or an outage around."}


def render(error: AuthError) -> JSONResponse:
    note_outcome(error.code)
    headers = {"Cache-Control": "no-store", **error.headers}  # no proxy may keep a refusal (or an outage) around
    return JSONResponse({"error": error.code, "detail": error.detail}, status_code=error.status, headers=headers)


def client_closed() -> Response:
    """For a client that went away before its request was whole: for the log and the metrics, nobody reads it."""
    note_outcome(CLIENT_CLOSED)
    return Response(status_code=CLIENT_CLOSED_STATUS)


async def _auth_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    return render(exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return render(InvalidRequest(describe_problems(exc.errors())))


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if isinstance(exc.__cause__, ClientDisconnect):  # FastAPI's 400 for a body the client stopped sending
        return client_closed()
    code = _CODES_BY_STATUS.get(exc.status_code, "http_error")
    note_outcome(code)
    headers = {"Cache-Control": "no-store", **(exc.headers or {})}
    if exc.status_code == 405:  # Starlette names the methods of the first route of the path, not of all of them
        headers["Allow"] = ", ".join(allowed_methods(_request))
    return JSONResponse({"error": code, "detail": str(exc.detail)}, status_code=exc.status_code, headers=headers)


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the request's path answers (a path may have a route per method)."""
    routes = request.app.router.routes
    return [
        method
        for method in HTTP_METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]


async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
    return render(InternalError())


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AuthError, _auth_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def error_responses(*errors: type[AuthError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a route: per status, the error codes it can answer with and their headers.
    A header is required when every error of that status carries it; otherwise its description says with
    which codes it comes."""
    by_status: dict[int, list[type[AuthError]]] = defaultdict(list)
    for error in errors:
        by_status[error.status].append(error)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, group in sorted(by_status.items()):
        codes = list(dict.fromkeys(error.code for error in group))
        response: dict[str, Any] = {
            "model": ErrorBody,
            "description": "Error codes: " + ", ".join(f"`{code}`" for code in codes),
        }
        headers = dict(RENDERED_HEADER_DOCS)
        required = set(RENDERED_HEADER_DOCS)
        for name, doc in {name: doc for error in group for name, doc in error.header_docs.items()}.items():
            carriers = list(dict.fromkeys(error.code for error in group if name in error.header_docs))
            if carriers == codes:
                required.add(name)
            else:
                doc = "With " + ", ".join(f"`{code}`" for code in carriers) + ": " + doc
            headers[name] = doc
        response["headers"] = documented_headers(headers, required)
        responses[status] = response
    return responses
