"""One time budget for all the store calls of an HTTP request (app.stores.deadline)."""

from starlette.types import ASGIApp, Receive, Scope, Send

from app.stores.deadline import store_deadline


class StoreDeadline:
    """Pure ASGI: give each HTTP request one time budget for all its store calls (app.stores.deadline)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with store_deadline(self.seconds):
            await self.app(scope, receive, send)
