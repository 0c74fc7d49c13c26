"""Every endpoint, one module per resource; `endpoints` is the route table (app.api.table) they make up."""

from app.api.routes import forward, frontend, health, keys, metrics, oidc, sessions, sign_in
from app.api.table import Endpoint


def endpoints(*, demo: bool) -> list[Endpoint]:
    """The route table, in the order the schema lists it; the demo page's routes only when `demo`."""
    return [
        *sign_in.routes.endpoints,
        *sessions.routes.endpoints,
        *forward.routes.endpoints,
        *keys.routes.endpoints,
        *oidc.routes.endpoints,
        *health.routes.endpoints,
        *metrics.routes.endpoints,
        *frontend.endpoints(demo),
    ]
