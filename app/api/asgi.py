"""What every layer of the HTTP side reads off an ASGI scope: the path a request routes on, sets of paths, and
the lifespan's services. A leaf: it imports nothing else of the application at run time."""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from starlette.types import Scope

if TYPE_CHECKING:
    from app.lifespan import Services


def route_path(scope: Scope) -> str:
    """The path the app routes on: without the root_path the app is mounted or served under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    # as Starlette's router does it: root /api strips /api/x and /api, never /api2/x
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :]
    return path


def services_of(scope: Scope) -> "Services":
    """The services the lifespan started (app.lifespan), as every route and middleware reaches them."""
    services: Services = scope["state"]["services"]
    return services


class PathTree:
    """Some paths, each with every path under it as a whole segment: /auth/forward holds /auth/forward/api/x
    (Envoy's HTTP ext_authz appends the original path to its prefix), never /auth/forwarded."""

    def __init__(self, trees: Iterable[str] = (), *, exact: Iterable[str] = ()) -> None:
        self.trees = tuple(trees)
        self.exact = frozenset((*self.trees, *exact))
        self.below = tuple(f"{tree}/" for tree in self.trees)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and (path in self.exact or path.startswith(self.below))

    def including(self, exact: Iterable[str]) -> "PathTree":
        """These paths and trees, and the `exact` paths too."""
        return PathTree(self.trees, exact=(*self.exact, *exact))

    def template(self, path: str) -> str | None:
        """The path itself if it is one of them, the tree it is under, or None."""
        if path in self.exact:
            return path
        return next((tree for tree in self.trees if path.startswith(f"{tree}/")), None)


NO_PATHS = PathTree()
