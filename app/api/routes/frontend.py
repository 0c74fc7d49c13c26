"""What browsers load: the client module at /auth/client.js, always, and the demo page when AUTH_DEMO is on.

The files are package data (app/static); clients/js/web3-auth.js is a link to the client, not a copy.
"""

from importlib.resources import files

from fastapi.responses import Response

from app.api.table import Endpoint, Routes

STATIC = files("app") / "static"
CLIENT_PATH = "/auth/client.js"
JAVASCRIPT = "text/javascript; charset=utf-8"
# The client is public code: any page may import it (module scripts are fetched with CORS), never with
# credentials. It changes only with the service, so a short cache is enough.
CLIENT_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "Access-Control-Allow-Origin": "*",
    "X-Content-Type-Options": "nosniff",
}
# The demo page runs only its own scripts and talks only to its own origin.
DEMO_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}


class _Static:
    """One file, read once; a new response per request (middleware adds headers to a response's own list)."""

    def __init__(self, name: str, media_type: str, headers: dict[str, str]) -> None:
        self.body = STATIC.joinpath(name).read_bytes()
        self.media_type, self.headers = media_type, headers

    def response(self) -> Response:
        return Response(self.body, media_type=self.media_type, headers=self.headers)


def endpoints(demo: bool) -> list[Endpoint]:
    """The client always, the demo page and its script only when `demo`."""
    client = _Static("web3-auth.js", JAVASCRIPT, CLIENT_HEADERS)
    routes = Routes()

    @routes.get(CLIENT_PATH, include_in_schema=False)
    async def client_module() -> Response:
        return client.response()

    if demo:
        page = _Static("demo.html", "text/html; charset=utf-8", DEMO_HEADERS)
        script = _Static("demo.js", JAVASCRIPT, DEMO_HEADERS)

        @routes.get("/demo", include_in_schema=False)
        async def demo_page() -> Response:
            return page.response()

        @routes.get("/demo.js", include_in_schema=False)
        async def demo_script() -> Response:
            return script.response()

    return routes.endpoints
