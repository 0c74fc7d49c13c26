"""AUTH_URIS entries (origins and prefixes) and the URI parts they are matched on."""

import pytest

from app.domain.uris import AllowedUri, UriParts, allowed_uri, has_dot_segment, split_uri


@pytest.mark.parametrize(
    ("uri", "parts"),
    [
        ("https://app.example", UriParts("https", "app.example", "")),
        ("https://u:p@[::1]:8443/a/b?c=/d#e/f", UriParts("https", "u:p@[::1]:8443", "/a/b")),
        ("https://app.example?x#y", UriParts("https", "app.example", "")),
        ("javascript:alert(1)", UriParts("javascript", None, "alert(1)")),
        ("data:text/html,hi", UriParts("data", None, "text/html,hi")),
        ("file:///etc/passwd", UriParts("file", "", "/etc/passwd")),
        ("https://evil.example/#@app.example", UriParts("https", "evil.example", "/")),
    ],
)
def test_split_uri_gives_the_parts_as_written(uri: str, parts: UriParts) -> None:
    assert split_uri(uri) == parts


@pytest.mark.parametrize("text", ["", "/relative", "https://a b", "no-scheme", "https://x/%zz", "https://é.example"])
def test_split_uri_refuses_what_is_no_uri(text: str) -> None:
    assert split_uri(text) is None


@pytest.mark.parametrize(
    ("entry", "allowed"),
    [
        ("https://app.example", AllowedUri("https", "app.example", None)),
        ("http://localhost:3000", AllowedUri("http", "localhost:3000", None)),
        ("https://[::1]:8443", AllowedUri("https", "[::1]:8443", None)),
        ("https://app.example/login/", AllowedUri("https", "app.example", "/login/")),
        ("https://app.example/a/b/", AllowedUri("https", "app.example", "/a/b/")),
    ],
)
def test_entries_are_origins_or_prefixes(entry: str, allowed: AllowedUri) -> None:
    assert allowed_uri(entry) == allowed


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("javascript:alert(1)", "not an http"),
        ("wss://app.example", "not an http"),
        ("app.example", "not an http"),
        ("https://", "not an http"),
        ("https://user@app.example", "userinfo"),
        ("https://:443", "empty host"),
        ("https://App.example", "lower case"),
        ("HTTPS://app.example", "not an http"),
        ("https://app.example:443", "default port"),
        ("http://app.example:80", "default port"),
        ("https://app.example:0443", "leading zeros"),
        ("https://app.example:", "port"),
        ("https://app.example:70000", "port"),
        ("https://app.example/", "without the trailing slash"),
        ("https://app.example/login", "ends in '/'"),
        ("https://app.example/login/?next", "query or fragment"),
        ("https://app.example#top", "query or fragment"),
        ("https://app.example/a/../b/", "'..' path segment"),
    ],
)
def test_other_entries_are_refused_with_a_reason(entry: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as refused:
        allowed_uri(entry)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("path", "dotted"),
    [
        ("/a/../b", True),
        ("/a/./b", True),
        ("/a/%2e%2e/b", True),
        ("/a/%2E./b", True),
        ("/a/.%2e", True),
        ("/a/..b/c", False),
        ("/a/.well-known/", False),
        ("/a/b.c/", False),
        ("", False),
    ],
)
def test_dot_segments(path: str, dotted: bool) -> None:
    assert has_dot_segment(path) is dotted


def test_a_prefix_matches_on_its_segment_boundary_only() -> None:
    prefix = allowed_uri("https://app.example/login/")
    admitted = {
        uri: prefix.admits(parts)
        for uri in [
            "https://app.example/login/",
            "https://app.example/login/x",
            "https://app.example/login",
            "https://app.example/loginx",
            "https://app.example/login/../x",
            "http://app.example/login/",
        ]
        if (parts := split_uri(uri)) is not None
    }
    assert admitted == {
        "https://app.example/login/": True,
        "https://app.example/login/x": True,
        "https://app.example/login": False,
        "https://app.example/loginx": False,
        "https://app.example/login/../x": False,
        "http://app.example/login/": False,
    }
