"""app.api.json_bodies: the nesting bound is exact, and brackets inside strings do not count."""

import json

import pytest

from app.api.json_bodies import MAX_NESTING, NestedTooDeep, load_json, nesting_depth


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_the_bound_is_exact() -> None:
    assert load_json(nested(MAX_NESTING)) == json.loads(nested(MAX_NESTING))
    with pytest.raises(NestedTooDeep):
        load_json(nested(MAX_NESTING + 1))


def test_brackets_inside_strings_do_not_count() -> None:
    body = json.dumps({"message": "[" * 5000, "signature": '\\"{' * 2000}).encode()
    assert nesting_depth(body) == 1
    assert load_json(body)["message"] == "[" * 5000


def test_everything_else_parses_as_pythons_parser_does() -> None:
    for body in [b'{"a": NaN}', b'{"a": "\\ud800"}', b'{"a": 1, "a": 2}', b'[1, [2, {"b": [3]}]]']:
        assert repr(load_json(body)) == repr(json.loads(body))
    with pytest.raises(json.JSONDecodeError):
        load_json(b"{")
