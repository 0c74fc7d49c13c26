"""The path a request routes on."""

from starlette.types import Scope


def route_path(scope: Scope) -> str:
    """The path the app routes on: without the root_path the app is mounted or served under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
