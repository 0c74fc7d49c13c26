import json
from pathlib import Path

from app.config import Settings
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
