import pytest

from app.api.asgi import PathTree, route_path


@pytest.mark.parametrize(
    ("root_path", "path", "routed"),
    [
        ("", "/auth/me", "/auth/me"),
        ("/api", "/api/auth/me", "/auth/me"),
        ("/api", "/api", ""),
        ("/api", "/api2/auth/me", "/api2/auth/me"),  # another prefix that merely starts alike
        ("/api", "/auth/me", "/auth/me"),
    ],
)
def test_the_routed_path_drops_the_root_path_only_as_a_whole_segment(root_path: str, path: str, routed: str) -> None:
    assert route_path({"type": "http", "path": path, "root_path": root_path}) == routed


def test_a_path_tree_holds_its_paths_and_whole_segments_under_them() -> None:
    forward_auth = PathTree(("/auth/forward",), exact=("/auth/client.js",))
    held = ["/auth/forward", "/auth/forward/", "/auth/forward/api/orders", "/auth/client.js"]
    assert all(path in forward_auth for path in held)
    assert not any(path in forward_auth for path in ["/auth/forwarded", "/auth/forwar", "/auth/client.js/x", "/"])
    assert [forward_auth.template(path) for path in ["/auth/forward/api/x", "/auth/client.js", "/auth/forwarded"]] == [
        "/auth/forward",
        "/auth/client.js",
        None,
    ]
