import json
from pathlib import Path

from app.config import Settings
from app.errors import RateLimited, StoreUnavailable
from app.main import create_app

ROOT = Path(__file__).parents[1]


def test_openapi_json_is_the_apps_schema() -> None:
    committed = json.loads((ROOT / "openapi.json").read_text())
    assert committed == create_app(Settings()).openapi(), "regenerate it: python -m app openapi"


def test_every_error_response_is_the_error_envelope() -> None:
    schema = create_app(Settings()).openapi()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    content = response["content"]["application/json"]["schema"]
                    assert content == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_the_documented_headers_of_429_and_503_are_the_ones_sent() -> None:
    sent = {
        "429": set(RateLimited("over", limit=1, window=60, remaining=0, reset_at=61.0, now=1.0).headers),
        "503": set(StoreUnavailable().headers),
    }
    schema = create_app(Settings()).openapi()
    documented = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, headers in sent.items():
                if status in operation["responses"]:
                    assert set(operation["responses"][status]["headers"]) == headers, (method, path, status)
                    documented += 1
    assert documented >= 8


def test_every_rate_limited_endpoint_documents_its_429() -> None:
    schema = create_app(Settings()).openapi()
    for path in ["/auth/challenge", "/auth/verify", "/auth/refresh", "/auth/logout", "/auth/introspect", "/auth/me"]:
        for operation in schema["paths"][path].values():
            assert "429" in operation["responses"], path
