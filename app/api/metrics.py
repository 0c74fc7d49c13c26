"""GET /metrics: Prometheus text format, optionally behind AUTH_METRICS_TOKEN."""

import hmac

from fastapi import APIRouter, Request, Response

from app.api.deps import ServicesDep, bearer_token
from app.api.handlers import error_responses
from app.errors import InvalidToken, MissingToken
from app.observability.metrics import exposition

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (with AUTH_METRICS_TOKEN set, for `Authorization: Bearer <it>` only)",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text format."},
        **error_responses(InvalidToken),
    },
)
async def metrics(request: Request, services: ServicesDep) -> Response:
    expected = services.settings.metrics_token
    if expected is not None:
        presented = bearer_token(request)
        if presented is None:
            raise MissingToken()
        if not hmac.compare_digest(presented.encode(), expected.get_secret_value().encode()):
            raise InvalidToken("not the metrics token")
    body, content_type = exposition()
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
