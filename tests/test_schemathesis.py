"""schemathesis against the committed openapi.json and a live server (real HTTP): every operation with
generated valid and invalid input, and a stateful run along the schema's links that signs the challenges it
gets (challenge -> verify -> refresh -> logout); a generated `uri` off the service's domain must get 400
uri_not_allowed, and no message.

Checked: no 5xx; status codes, content types, headers and bodies as documented; input that violates the
schema rejected with a 4xx; operations that need a token refuse calls without one. Not checked: that every
schema-valid input is accepted, since business rules refuse some (a domain outside AUTH_DOMAINS, an address
whose mixed case is not its EIP-55 checksum, a signature by another key).

Each service runs for its part of the module only, and signs its own access tokens for the operations that
take one. Bounded by example counts, not time: at most 40 generated cases per operation (19 operations) on
each of two services (generous and tight limits), plus schemathesis's coverage cases, and 25 stateful runs of
at most 12 steps, derandomized; the whole module takes under a minute on two cores (35-50 s measured).
"""

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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
    """A server under test on the Redis store, with an access token it issued itself (each service signs with an
    ephemeral key of its own, so another's token would be refused). Its keys are removed when it stops."""

    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._running = ExitStack()
        self.url = ""
        self.token = ""

    def start(self) -> None:
        """Serve, and sign in at once, before a run with tight limits spends them."""
        redis_url = self._running.enter_context(redis_url_for_tests())
        prefix = f"test-{uuid.uuid4().hex}"
        self._running.callback(delete_prefix, redis_url, prefix)
        app = create_app(Settings(redis_url=redis_url, redis_prefix=prefix, **self._settings))
        self.url = self._running.enter_context(served(app))
        self.token = self._signed_in() or ""
        assert self.token, "the service refused the first sign-in"

    def renew_token(self) -> None:
        """After a generated logout revoked the token: a new one, or the old one if the service refuses to sign
        in again (its tight limits are spent; every answer is a 429 then anyway)."""
        self.token = self._signed_in() or self.token

    def _signed_in(self) -> str | None:
        wallet = WALLETS[0]
        with httpx.Client(base_url=self.url) as http:
            response = http.post("/auth/challenge", json={"address": wallet.address})
            if response.status_code != 200:
                return None
            message = response.json()["message"]
            response = http.post("/auth/verify", json={"message": message, "signature": sign(wallet, message)})
            if response.status_code != 200:
                return None
            token: str = response.json()["access_token"]
            assert http.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            return token

    def stop(self) -> None:
        """Stop serving, and remove its keys; nothing to do when it is not running."""
        self._running.close()
        self.url = self.token = ""


SERVICE = _Service(**GENEROUS_LIMITS)
# Tighter than the defaults: past the first few requests, every answer is a 429 that must match the schema.
LIMITED = _Service(rate_limit_ip="20/minute", rate_limit_address="3/minute")


@contextmanager
def running(service: _Service) -> Iterator[_Service]:
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module", autouse=True)
def _no_server_outlives_the_module() -> Iterator[None]:
    threads = set(threading.enumerate())
    yield
    for service in (SERVICE, LIMITED):
        service.stop()
    assert set(threading.enumerate()) <= threads, "a server thread outlived the module"


@pytest.fixture(scope="module", params=["generous limits", "tight limits"])
def service(request: pytest.FixtureRequest) -> Iterator[_Service]:
    with running(SERVICE if request.param == "generous limits" else LIMITED) as started:
        yield started


# schemathesis sets authentication while it generates cases, some of them when it collects the tests, before any
# service runs, and the same cases go to both services: it writes this placeholder, which each test replaces
# with a token of the service it calls.
TOKEN_PLACEHOLDER = "token-of-the-service-under-test"


@schema.auth(retry_on=[]).apply_to(path_regex="^/auth/(me|forward|logout)$")
class AccessToken:
    """A real access token for the operations that take one (schemathesis also tries them without)."""

    def get(self, case: schemathesis.Case, context: Any) -> str:  # noqa: ARG002
        return TOKEN_PLACEHOLDER

    def set(self, case: schemathesis.Case, data: str, context: Any) -> None:  # noqa: ARG002
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.parametrize()
@FUZZ
def test_every_operation_with_generated_input(case: schemathesis.Case, service: _Service) -> None:
    # on this call only: the same case object goes to the other service too
    placeholder = bool(case.headers) and case.headers.get("Authorization") == f"Bearer {TOKEN_PLACEHOLDER}"
    token = {"Authorization": f"Bearer {service.token}"} if placeholder else None
    # Forward-auth answers every method a proxy may forward, so no method is "unsupported" there.
    excluded = [unsupported_method] if case.path == "/auth/forward" else []
    if service is LIMITED:  # this check insists on a 401 for a missing Authorization; the limiter answers 429 first
        excluded.append(missing_required_header)
    response = case.call_and_validate(base_url=service.url, headers=token, excluded_checks=excluded)
    if case.path == "/auth/logout" and response.status_code == 204:
        service.renew_token()


CHALLENGE = schema["/auth/challenge"]["POST"]
ON_THE_DOMAIN = re.compile(r"https?://localhost:8000(?:[/?#].*)?", re.DOTALL)
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
        # The service's domain is localhost:8000 and AUTH_URIS is empty: only its own origin's URIs are issued.
        on_the_domain = body.get("uri") is None or ON_THE_DOMAIN.fullmatch(body["uri"]) is not None
        if response.status_code == 400:
            assert response.json()["error"] == "uri_not_allowed", response.text
            assert not on_the_domain, response.text
            return multiple()
        if response.status_code != 200:  # a message that would pass 8 KiB, or a URI outside our grammar, say
            assert response.status_code == 422, response.text
            return multiple()
        assert on_the_domain, response.text
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
    with running(SERVICE) as started:
        SessionFlows.base_url = started.url
        run_state_machine_as_test(SessionFlows, settings=settings(FUZZ, max_examples=25, stateful_step_count=12))
