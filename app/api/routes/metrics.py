"""GET /metrics: Prometheus text format, optionally behind AUTH_METRICS_TOKEN."""

import contextlib

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from app.api.asgi import services_of
from app.api.credentials import bearer_token, presents
from app.api.handlers import error_responses
from app.api.table import Routes
from app.errors import InvalidToken, MissingToken, StoreUnavailable
from app.observability.metrics import SESSIONS_LIVE, exposition

routes = Routes(tags=["operations"])


@routes.get(
    "/metrics",
    summary="Prometheus metrics (with AUTH_METRICS_TOKEN set, for `Authorization: Bearer <it>` only)",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text format."},
        **error_responses(InvalidToken),
    },
)
async def metrics(request: Request) -> Response:
    services = services_of(request.scope)
    expected = services.settings.metrics_token
    if expected is not None:
        if bearer_token(request) is None:
            raise MissingToken()
        if not presents(request.headers.get("authorization", ""), expected):
            raise InvalidToken("not the metrics token")
    with contextlib.suppress(StoreUnavailable):  # metrics are most wanted when the store is in trouble
        SESSIONS_LIVE.set(await services.store.count_sessions())
    # several workers' files to read: not on the event loop
    body, content_type = await run_in_threadpool(exposition)
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
