"""The path a request routes on."""

from starlette.types import Scope


def route_path(scope: Scope) -> str:
    """The path the app routes on: without the root_path the app is mounted or served under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    # as Starlette's router does it: root /api strips /api/x and /api, never /api2/x
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :]
    return path
