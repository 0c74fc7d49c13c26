"""schemathesis against the committed openapi.json and a live server (real HTTP): every operation with
generated valid and invalid input, and a stateful run along the schema's links that signs the challenges it
gets (challenge -> verify -> refresh -> logout).

Checked: no 5xx; status codes, content types, headers and bodies as documented; input that violates the
schema rejected with a 4xx; operations that need a token refuse calls without one. Not checked: that every
schema-valid input is accepted, since business rules refuse some (a domain outside AUTH_DOMAINS, an address
whose mixed case is not its EIP-55 checksum, a signature by another key).
"""

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    multiple,
    rule,
    run_state_machine_as_test,
)
from schemathesis.checks import unsupported_method
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import missing_required_header
from siwe import SiweMessage as ReferenceMessage

from app.config import Settings
from app.main import create_app
from tests.support.app import GENEROUS_LIMITS, served
from tests.support.redis_server import delete_prefix, redis_url_for_tests
from tests.support.wallets import new_wallet, sign

OPENAPI = Path(__file__).parents[1] / "openapi.json"
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"enabled": False},
            "negative_data_rejection": {"expected-statuses": [400, 401, 404, 405, 413, 415, 422, 429]},
        }
    }
)
schema = schemathesis.openapi.from_path(str(OPENAPI), config=CONFIG)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
WALLETS = [new_wallet() for _ in range(3)]


class _Service:
    """A server under test on the Redis store, started on first use (schemathesis may ask for a token while
    collecting); its keys are removed when it stops."""

    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._running = ExitStack()
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            redis_url = self._running.enter_context(redis_url_for_tests())
            prefix = f"test-{uuid.uuid4().hex}"
            self._running.callback(delete_prefix, redis_url, prefix)
            app = create_app(Settings(redis_url=redis_url, redis_prefix=prefix, **self._settings))
            self._url = self._running.enter_context(served(app))
        return self._url

    def stop(self) -> None:
        self._running.close()
        self._url = None


SERVICE = _Service(**GENEROUS_LIMITS)
# Tighter than the defaults: past the first few requests, every answer is a 429 that must match the schema.
LIMITED = _Service(rate_limit_ip="20/minute", rate_limit_address="3/minute")


@pytest.fixture(scope="module", params=["generous limits", "tight limits"])
def service(request: pytest.FixtureRequest) -> Iterator[tuple[str, bool]]:
    """The base URL, and whether the limits are tight."""
    running = SERVICE if request.param == "generous limits" else LIMITED
    yield running.url, running is LIMITED
    running.stop()


def signed_in_token() -> str:
    wallet = WALLETS[0]
    with httpx.Client(base_url=SERVICE.url) as http:
        message = http.post("/auth/challenge", json={"address": wallet.address}).json()["message"]
        response = http.post("/auth/verify", json={"message": message, "signature": sign(wallet, message)})
        token: str = response.json()["access_token"]
        return token


@schema.auth().apply_to(path_regex="^/auth/(me|forward|logout)$")
class AccessToken:
    """A real access token for the operations that take one (schemathesis also tries them without)."""

    def get(self, case: schemathesis.Case, context: Any) -> str:  # noqa: ARG002
        return signed_in_token()

    def set(self, case: schemathesis.Case, data: str, context: Any) -> None:  # noqa: ARG002
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.parametrize()
@FUZZ
def test_every_operation_with_generated_input(case: schemathesis.Case, service: tuple[str, bool]) -> None:
    base_url, tight_limits = service
    # Forward-auth answers every method a proxy may forward, so no method is "unsupported" there.
    excluded = [unsupported_method] if case.path == "/auth/forward" else []
    if tight_limits:  # this check insists on a 401 for a missing Authorization; the limiter answers 429 first
        excluded.append(missing_required_header)
    case.call_and_validate(base_url=base_url, excluded_checks=excluded)


CHALLENGE = schema["/auth/challenge"]["POST"]
VERIFY = schema["/auth/verify"]["POST"]
REFRESH = schema["/auth/refresh"]["POST"]
LOGOUT = schema["/auth/logout"]["POST"]
ME = schema["/auth/me"]["GET"]
FORWARD = schema["/auth/forward"]["GET"]


@dataclass
class Session:
    wallet: LocalAccount
    access_token: str
    refresh_token: str
    spent_refresh_tokens: list[str] = field(default_factory=list)


class SessionFlows(RuleBasedStateMachine):
    """challenge (schemathesis-generated optional fields) -> sign (here) -> verify -> refresh / reuse /
    logout / me / forward, every response checked by schemathesis against the schema, and the session
    rules checked as the flows go."""

    base_url = ""
    challenges = Bundle("challenges")
    sessions = Bundle("sessions")

    def call(self, case: schemathesis.Case) -> Any:
        return case.call_and_validate(base_url=self.base_url)

    @rule(target=challenges, generated=CHALLENGE.as_strategy(), wallet=st.sampled_from(WALLETS))
    def challenge(self, generated: schemathesis.Case, wallet: LocalAccount) -> Any:
        fields = generated.body if isinstance(generated.body, dict) else {}
        body = {
            **{k: v for k, v in fields.items() if k in ("uri", "statement", "resources")},
            "address": wallet.address,
        }
        response = self.call(CHALLENGE.Case(body=body, media_type="application/json"))
        if response.status_code != 200:  # a message that would pass 8 KiB, say
            assert response.status_code == 422, response.text
            return multiple()
        message = response.json()["message"]
        assert ReferenceMessage.from_message(message).prepare_message() == message  # THREATS.md 20
        return wallet, message

    @rule(target=sessions, pending=consumes(challenges))
    def verify(self, pending: tuple[LocalAccount, str]) -> Session:
        wallet, message = pending
        body = {"message": message, "signature": sign(wallet, message)}
        response = self.call(VERIFY.Case(body=body, media_type="application/json"))
        assert response.status_code == 200, response.text
        tokens = response.json()
        replay = self.call(VERIFY.Case(body=body, media_type="application/json"))
        assert (replay.status_code, replay.json()["error"]) == (401, "invalid_nonce")
        return Session(wallet, tokens["access_token"], tokens["refresh_token"])

    @rule(target=sessions, session=consumes(sessions))
    def refresh(self, session: Session) -> Session:
        response = self.call(REFRESH.Case(body={"refresh_token": session.refresh_token}, media_type="application/json"))
        assert response.status_code == 200, response.text
        tokens = response.json()
        spent = [*session.spent_refresh_tokens, session.refresh_token]
        return Session(session.wallet, tokens["access_token"], tokens["refresh_token"], spent)

    @rule(session=sessions)
    def who_am_i(self, session: Session) -> None:
        bearer = {"Authorization": f"Bearer {session.access_token}"}
        response = self.call(ME.Case(headers=bearer))
        assert response.json()["address"] == session.wallet.address
        forwarded = self.call(FORWARD.Case(headers=bearer))
        assert forwarded.headers["x-auth-address"] == [session.wallet.address]  # schemathesis lists header values

    @rule(session=consumes(sessions))
    def reuse(self, session: Session) -> None:
        """Present a rotated refresh token again: the whole session dies."""
        renewed = self.refresh(session)
        old = renewed.spent_refresh_tokens[-1]
        response = self.call(REFRESH.Case(body={"refresh_token": old}, media_type="application/json"))
        assert (response.status_code, response.json()["error"]) == (401, "refresh_reused")
        self.assert_revoked(renewed)
        self.assert_revoked(session)

    @rule(session=consumes(sessions), with_access_token=st.booleans())
    def logout(self, session: Session, with_access_token: bool) -> None:
        if with_access_token:
            case = LOGOUT.Case(headers={"Authorization": f"Bearer {session.access_token}"})
        else:
            case = LOGOUT.Case(body={"refresh_token": session.refresh_token}, media_type="application/json")
        assert self.call(case).status_code == 204
        self.assert_revoked(session)

    def assert_revoked(self, session: Session) -> None:
        bearer = {"Authorization": f"Bearer {session.access_token}"}
        assert self.call(ME.Case(headers=bearer)).status_code == 401
        assert self.call(FORWARD.Case(headers=bearer)).status_code == 401
        response = self.call(REFRESH.Case(body={"refresh_token": session.refresh_token}, media_type="application/json"))
        assert response.status_code == 401


def test_stateful_session_flows() -> None:
    SessionFlows.base_url = SERVICE.url
    run_state_machine_as_test(SessionFlows, settings=settings(FUZZ, max_examples=25, stateful_step_count=12))
