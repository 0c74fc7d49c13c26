"""The authorization request's rules (OpenID Connect Core 3.1.2.1-3.1.2.6, RFC 6749 §3.1 and §4.1, RFC 7636)
and the redirects that answer it (RFC 6749 §4.1.2 and §4.1.2.1, RFC 9207)."""

import base64
import hashlib
import io
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from starlette.datastructures import FormData, Headers, QueryParams, UploadFile

from app.oidc.authorization import (
    MAX_NONCE,
    MAX_STATE,
    AuthorizationError,
    AuthorizationRequest,
    UnsafeRedirect,
    code_redirect,
    error_redirect,
    parse_authorization_request,
)
from app.oidc.clients import ClientRegistry
from tests.oidc.factories import ISSUER, REDIRECT_URI, a_client, a_public_client, a_registry

VERIFIER = secrets.token_urlsafe(48)
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
REGISTRY = a_registry(a_client(), a_public_client(), a_client("narrow", scopes=frozenset({"openid"})))


def params(**changes: str | None) -> dict[str, str]:
    """A valid request of the confidential client, with `changes` (None removes a parameter)."""
    base: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "grafana",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile",
        "state": "af0ifjsldkj",
        "nonce": "n-0S6_WzA2Mj",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    merged = {**base, **changes}
    return {name: value for name, value in merged.items() if value is not None}


def refused(given: Any, registry: ClientRegistry = REGISTRY) -> AuthorizationError:
    with pytest.raises(AuthorizationError) as raised:
        parse_authorization_request(given, registry)
    return raised.value


def unsafe(given: Any) -> UnsafeRedirect:
    with pytest.raises(UnsafeRedirect) as raised:
        parse_authorization_request(given, REGISTRY)
    return raised.value


def test_a_valid_request_is_parsed_into_what_the_sign_in_and_the_code_need() -> None:
    request = parse_authorization_request(params(), REGISTRY)
    assert request == AuthorizationRequest(
        client=a_client(),
        redirect_uri=REDIRECT_URI,
        scope=("openid", "profile"),
        state="af0ifjsldkj",
        nonce="n-0S6_WzA2Mj",
        code_challenge=CHALLENGE,
        code_challenge_method="S256",
        prompt=(),
        response_mode="query",
        max_age=None,
    )


def test_optional_parameters_may_be_left_out_and_unknown_ones_are_ignored() -> None:
    given = params(state=None, nonce=None, code_challenge=None, code_challenge_method=None, scope="openid")
    request = parse_authorization_request({**given, "display": "page", "claims_locales": "de", "foo": "bar"}, REGISTRY)
    assert (request.state, request.nonce, request.code_challenge, request.code_challenge_method) == (None,) * 4
    assert request.scope == ("openid",)


def test_a_parameter_without_a_value_counts_as_omitted() -> None:
    request = parse_authorization_request(params(state="", nonce="", prompt="", response_mode=""), REGISTRY)
    assert (request.state, request.nonce, request.prompt) == (None, None, ())
    assert refused(params(response_type="")).error == "invalid_request"  # missing, not unsupported


def test_scope_keeps_the_order_asked_once_each() -> None:
    request = parse_authorization_request(params(scope="profile openid  siwe profile offline_access"), REGISTRY)
    assert request.scope == ("profile", "openid", "siwe", "offline_access")


@pytest.mark.parametrize("prompt", ["login", "consent", "select_account", "login consent", "consent select_account"])
def test_prompts_that_a_fresh_signature_satisfies_are_accepted(prompt: str) -> None:
    assert parse_authorization_request(params(prompt=prompt), REGISTRY).prompt == tuple(prompt.split())


def test_max_age_and_response_mode_query_are_accepted() -> None:
    request = parse_authorization_request(params(max_age="0", response_mode="query"), REGISTRY)
    assert (request.max_age, request.response_mode) == (0, "query")
    assert parse_authorization_request(params(max_age="3600"), REGISTRY).max_age == 3600


def test_a_public_client_with_pkce_and_a_confidential_one_without_are_accepted() -> None:
    public = params(client_id="spa", redirect_uri="http://localhost:5173/callback", scope="openid")
    assert parse_authorization_request(public, REGISTRY).client.token_endpoint_auth_method == "none"
    confidential = parse_authorization_request(params(code_challenge=None, code_challenge_method=None), REGISTRY)
    assert confidential.code_challenge is None


@pytest.mark.parametrize("challenge", ["a" * 43, "A-._~" * 20 + "z" * 28, "0" * 128])
def test_any_code_challenge_of_43_to_128_unreserved_characters_is_accepted(challenge: str) -> None:
    assert parse_authorization_request(params(code_challenge=challenge), REGISTRY).code_challenge == challenge


# -- never redirected: the client or its redirect_uri cannot be trusted (RFC 6749 §4.1.2.1)


@pytest.mark.parametrize(
    ("changes", "error", "detail"),
    [
        ({"client_id": None}, "invalid_client", "client_id is missing"),
        ({"client_id": "nobody"}, "invalid_client", "unknown client_id"),
        ({"redirect_uri": None}, "invalid_request", "redirect_uri is required"),
        ({"redirect_uri": "https://evil.example.com/cb"}, "invalid_request", "not one this client registered"),
    ],
)
def test_a_missing_or_unknown_client_or_redirect_uri_is_not_redirected(
    changes: dict[str, str | None], error: str, detail: str
) -> None:
    failure = unsafe(params(**changes))
    assert failure.error == error
    assert detail in failure.detail


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT_URI + "/",  # a registered URI as a prefix of the given one
        REDIRECT_URI + "/../../evil",
        REDIRECT_URI + "?next=https://evil.example.com",
        REDIRECT_URI + "#fragment",
        REDIRECT_URI[:-1],  # the given one a prefix of the registered one
        REDIRECT_URI.replace("grafana.example.com", "GRAFANA.example.com"),  # equal once normalised: still refused
        REDIRECT_URI.replace("https://grafana.example.com", "https://grafana.example.com:443"),
        REDIRECT_URI.replace("generic_oauth", "generic%5Foauth"),
        REDIRECT_URI.replace("https", "http"),
        " " + REDIRECT_URI,
    ],
)
def test_a_redirect_uri_must_equal_a_registered_one_character_for_character(redirect_uri: str) -> None:
    assert unsafe(params(redirect_uri=redirect_uri)).error == "invalid_request"


def test_a_redirect_uri_of_another_client_is_not_redirected_to() -> None:
    assert unsafe(params(client_id="spa")).error == "invalid_request"


@pytest.mark.parametrize("name", ["client_id", "redirect_uri"])
def test_a_client_id_or_redirect_uri_given_twice_is_not_redirected(name: str) -> None:
    given = [*params().items(), (name, params()[name])]
    assert "more than once" in unsafe(given).detail
    assert "more than once" in unsafe(QueryParams(given)).detail


# -- redirected with an error (RFC 6749 §4.1.2.1, OpenID Connect Core 3.1.2.6)


@pytest.mark.parametrize(
    ("changes", "error", "described"),
    [
        ({"response_type": None}, "invalid_request", "response_type is required"),
        ({"response_type": "token"}, "unsupported_response_type", "only response_type=code"),
        ({"response_type": "code id_token"}, "unsupported_response_type", "only response_type=code"),
        ({"response_type": "id_token"}, "unsupported_response_type", "only response_type=code"),
        ({"response_type": "Code"}, "unsupported_response_type", "only response_type=code"),
        ({"scope": None}, "invalid_scope", "must contain openid"),
        ({"scope": "profile"}, "invalid_scope", "must contain openid"),
        ({"scope": "OpenID profile"}, "invalid_scope", "must contain openid"),
        ({"scope": "openid email"}, "invalid_scope", "not allowed for this client: email"),
        ({"scope": "openid email phone"}, "invalid_scope", "not allowed for this client: email phone"),
        ({"code_challenge": None}, "invalid_request", "code_challenge_method without code_challenge"),
        ({"code_challenge_method": None}, "invalid_request", "code_challenge_method is required"),
        ({"code_challenge_method": "plain"}, "invalid_request", "only S256"),
        ({"code_challenge_method": "s256"}, "invalid_request", "only S256"),
        ({"code_challenge": "a" * 42}, "invalid_request", "43 to 128 characters"),
        ({"code_challenge": "a" * 129}, "invalid_request", "43 to 128 characters"),
        ({"code_challenge": CHALLENGE[:-1] + "="}, "invalid_request", "43 to 128 characters"),
        ({"code_challenge": CHALLENGE[:-1] + "+"}, "invalid_request", "43 to 128 characters"),
        ({"nonce": "n" * (MAX_NONCE + 1)}, "invalid_request", f"longer than {MAX_NONCE}"),
        ({"prompt": "none"}, "login_required", "prompt=none"),
        ({"prompt": "none login"}, "invalid_request", "cannot be combined"),
        ({"prompt": "create"}, "invalid_request", "prompt value not supported: create"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported", "request parameter"),
        ({"request_uri": "urn:ietf:params:oauth:request_uri:abc"}, "request_uri_not_supported", "request_uri"),
        ({"registration": "{}"}, "registration_not_supported", "registration parameter"),
        ({"response_mode": "fragment"}, "invalid_request", "only response_mode=query"),
        ({"response_mode": "form_post"}, "invalid_request", "only response_mode=query"),
        ({"response_mode": "query.jwt"}, "invalid_request", "only response_mode=query"),
        ({"max_age": "-1"}, "invalid_request", "max_age"),
        ({"max_age": "ten"}, "invalid_request", "max_age"),
    ],
)
def test_each_invalid_request_is_redirected_with_its_error_and_the_state(
    changes: dict[str, str | None], error: str, described: str
) -> None:
    failure = refused(params(**changes))
    assert (failure.error, failure.redirect_uri, failure.state) == (error, REDIRECT_URI, "af0ifjsldkj")
    assert described in failure.description


def test_a_scope_the_client_may_not_ask_for_is_invalid_scope() -> None:
    failure = refused(params(client_id="narrow", scope="openid profile"))
    assert (failure.error, failure.description) == ("invalid_scope", "scope not allowed for this client: profile")
    assert parse_authorization_request(params(client_id="narrow", scope="openid"), REGISTRY).scope == ("openid",)


def test_a_public_client_must_send_a_s256_code_challenge() -> None:
    public = params(client_id="spa", redirect_uri="http://localhost:5173/callback", scope="openid")
    failure = refused({**public, "code_challenge": "", "code_challenge_method": ""})
    assert (failure.error, failure.redirect_uri) == ("invalid_request", "http://localhost:5173/callback")
    assert "code_challenge is required for a public client" in failure.description
    assert refused({**public, "code_challenge_method": "plain"}).error == "invalid_request"
    assert refused({k: v for k, v in public.items() if k != "code_challenge_method"}).error == "invalid_request"


def test_a_known_parameter_given_twice_is_invalid_request_an_unknown_one_is_ignored() -> None:
    base = params(prompt="login")
    for name in ("scope", "response_type", "nonce", "code_challenge", "prompt", "request", "max_age"):
        given = [*base.items(), (name, "x"), *([] if name in base else [(name, "y")])]
        failure = refused(given)
        assert (failure.error, failure.description) == ("invalid_request", f"given more than once: {name}")
        assert failure.state == "af0ifjsldkj"
    parse_authorization_request([*params().items(), ("foo", "1"), ("foo", "2")], REGISTRY)


def test_duplicates_are_seen_in_starlettes_query_params_and_form_data() -> None:
    twice: list[tuple[str, str | UploadFile]] = [*params().items(), ("nonce", "another")]
    assert refused(QueryParams(twice)).description == "given more than once: nonce"
    assert refused(FormData(twice)).description == "given more than once: nonce"
    assert parse_authorization_request(QueryParams(params()), REGISTRY).nonce == "n-0S6_WzA2Mj"
    upload = UploadFile(io.BytesIO(b"x"), filename="nonce.txt", headers=Headers({}))
    failure = refused(FormData([*params(nonce=None).items(), ("nonce", upload)]))
    assert (failure.error, failure.description) == ("invalid_request", "nonce is not text")


def test_a_state_too_long_or_given_twice_is_refused_and_not_echoed() -> None:
    assert refused(params(state="s" * MAX_STATE, nonce=None, prompt="none")).state == "s" * MAX_STATE
    too_long = refused(params(state="s" * (MAX_STATE + 1)))
    assert (too_long.error, too_long.state) == ("invalid_request", None)
    twice = refused([*params().items(), ("state", "other")])
    assert (twice.error, twice.description, twice.state) == ("invalid_request", "given more than once: state", None)


def test_an_error_description_holds_only_the_characters_rfc_6749_allows() -> None:
    failure = refused(params(scope='openid "quoted\\ é\n'))
    assert failure.description == "scope not allowed for this client: ?quoted? ??"
    assert all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in failure.description)


# -- the redirects themselves


def test_the_error_redirect_carries_error_description_state_and_iss_form_encoded() -> None:
    failure = refused(params(scope="openid email"))
    assert error_redirect(failure, ISSUER) == (
        "https://grafana.example.com/login/generic_oauth?error=invalid_scope"
        "&error_description=scope+not+allowed+for+this+client%3A+email&state=af0ifjsldkj"
        "&iss=https%3A%2F%2Fauth.example.com"
    )


def test_an_error_redirect_without_a_state_has_no_state_parameter() -> None:
    failure = refused(params(state=None, prompt="none"))
    assert error_redirect(failure, ISSUER) == (
        "https://grafana.example.com/login/generic_oauth?error=login_required"
        "&error_description=every+sign-in+is+a+wallet+signature%3A+prompt%3Dnone+cannot+be+honoured"
        "&iss=https%3A%2F%2Fauth.example.com"
    )


def test_the_state_comes_back_exactly_however_it_is_spelt() -> None:
    state = "a b&c=d/é?#%20+" + "~" * 10
    failure = refused(params(state=state, response_type="token"))
    url = error_redirect(failure, ISSUER + "/tenant")
    assert parse_qsl(urlsplit(url).query, strict_parsing=True) == [
        ("error", "unsupported_response_type"),
        ("error_description", "only response_type=code is supported"),
        ("state", state),
        ("iss", "https://auth.example.com/tenant"),
    ]


@pytest.mark.parametrize(
    ("registered", "prefix"),
    [
        ("https://rp.example.com/cb?tenant=a", "https://rp.example.com/cb?tenant=a&"),
        ("https://rp.example.com/cb?", "https://rp.example.com/cb?"),
        ("https://rp.example.com/cb?tenant=a&", "https://rp.example.com/cb?tenant=a&"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080?"),
    ],
)
def test_a_redirect_uri_keeps_its_own_query(registered: str, prefix: str) -> None:
    registry = a_registry(a_client(redirect_uris=(registered,)))
    failure = refused(params(redirect_uri=registered, response_type="token"), registry)
    assert error_redirect(failure, ISSUER).startswith(prefix + "error=unsupported_response_type&")
    request = parse_authorization_request(params(redirect_uri=registered), registry)
    assert (
        code_redirect(request, "c0de", ISSUER)
        == f"{prefix}code=c0de&state=af0ifjsldkj&iss=https%3A%2F%2Fauth.example.com"
    )


def test_the_code_redirect_carries_code_state_and_iss() -> None:
    request = parse_authorization_request(params(state="xyz/+="), REGISTRY)
    assert code_redirect(request, "SplxlOBeZQQYbYS6WxSbIA", ISSUER) == (
        "https://grafana.example.com/login/generic_oauth?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz%2F%2B%3D"
        "&iss=https%3A%2F%2Fauth.example.com"
    )
    stateless = parse_authorization_request(params(state=None), REGISTRY)
    assert code_redirect(stateless, "abc", ISSUER) == f"{REDIRECT_URI}?code=abc&iss=https%3A%2F%2Fauth.example.com"
