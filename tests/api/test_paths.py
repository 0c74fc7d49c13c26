import pytest

from app.api.paths import route_path


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
