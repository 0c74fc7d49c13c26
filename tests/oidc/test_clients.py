"""The clients file: what it registers, every refusal with its reason, and the secrets' hashes."""

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from app.oidc.clients import (
    SALT_BYTES,
    ClientRegistry,
    ClientsFileError,
    OidcClient,
    clients_from_document,
    hash_secret,
    load_clients,
    new_secret,
    secret_matches,
)

SECRET = new_secret()
SECRET_HASH = hash_secret(SECRET)


def confidential(**members: Any) -> dict[str, Any]:
    return {
        "client_id": "grafana",
        "redirect_uris": ["https://grafana.example/login/generic_oauth"],
        "client_secret_hash": SECRET_HASH,
        **members,
    }


def public(**members: Any) -> dict[str, Any]:
    return {
        "client_id": "cli",
        "redirect_uris": ["http://127.0.0.1:8765/callback"],
        "token_endpoint_auth_method": "none",
        **members,
    }


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "clients.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_a_valid_file_registers_every_client_with_its_members_and_defaults(tmp_path: Path) -> None:
    full = confidential(
        name="Grafana",
        redirect_uris=["https://grafana.example/login/generic_oauth", "https://grafana.example/alt?x=1"],
        post_logout_redirect_uris=["https://grafana.example/"],
        token_endpoint_auth_method="client_secret_post",
        scopes=["openid", "profile", "offline_access", "siwe"],
        id_token_signed_response_alg="EdDSA",
    )
    registry = load_clients(write(tmp_path, {"clients": [full, public()]}))
    assert len(registry) == 2
    assert registry.get("grafana") == OidcClient(
        client_id="grafana",
        name="Grafana",
        redirect_uris=("https://grafana.example/login/generic_oauth", "https://grafana.example/alt?x=1"),
        post_logout_redirect_uris=("https://grafana.example/",),
        token_endpoint_auth_method="client_secret_post",
        secret_hash=SECRET_HASH,
        scopes=frozenset({"openid", "profile", "offline_access", "siwe"}),
        id_token_signed_response_alg="EdDSA",
    )
    cli = registry.get("cli")
    assert cli == OidcClient(
        client_id="cli",
        name="cli",  # the client_id when no name is given
        redirect_uris=("http://127.0.0.1:8765/callback",),
        token_endpoint_auth_method="none",
        scopes=frozenset({"openid"}),
        id_token_signed_response_alg="RS256",
    )
    assert cli.is_public
    assert not registry.get("grafana").is_public  # type: ignore[union-attr]
    assert registry.get("unknown") is None
    assert registry.get("Grafana") is None  # client ids are exact


def test_the_default_method_is_client_secret_basic() -> None:
    client = clients_from_document({"clients": [confidential()]}).get("grafana")
    assert client is not None
    assert client.token_endpoint_auth_method == "client_secret_basic"


@pytest.mark.parametrize(
    "uri",
    [
        "http://localhost/cb",
        "http://localhost:3000/cb",
        "http://127.0.0.1:8765/callback",
        "http://[::1]:8080/cb",
        "https://app.example/cb?tenant=1",
        "https://app.example:8443/",
    ],
)
def test_redirect_uris_that_are_accepted(uri: str) -> None:
    client = clients_from_document({"clients": [confidential(redirect_uris=[uri])]}).get("grafana")
    assert client is not None
    assert client.redirect_uris == (uri,)  # kept exactly as written: matching is exact


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (confidential(redirect_uris=[]), "client 0 ('grafana'): redirect_uris is empty"),
        (confidential(redirect_uris="https://a.example/cb"), "redirect_uris is not a list"),
        ({k: v for k, v in confidential().items() if k != "redirect_uris"}, "redirect_uris is empty"),
        (confidential(redirect_uris=["/cb"]), "redirect_uris[0] '/cb' is not an absolute URI"),
        (confidential(redirect_uris=["app.example/cb"]), "is not an absolute URI"),
        (confidential(redirect_uris=["https://app.example/cb#x"]), "has a fragment"),
        (confidential(redirect_uris=["https://app.example/cb#"]), "has a fragment"),
        (confidential(redirect_uris=["http://app.example/cb"]), "plain http:// to a host other than localhost"),
        (confidential(redirect_uris=["http://10.0.0.1/cb"]), "plain http://"),
        (confidential(redirect_uris=["http://localhost.evil.example/cb"]), "plain http://"),
        (confidential(redirect_uris=["com.example.app:/cb"]), "not an absolute URI"),
        (confidential(redirect_uris=["ftp://app.example/cb"]), "is neither https://"),
        (confidential(redirect_uris=["javascript://app.example/%0aalert(1)"]), "is neither https://"),
        (confidential(redirect_uris=["https://user@app.example/cb"]), "has userinfo"),
        (confidential(redirect_uris=["https://app.example:99999/cb"]), "is not a URI"),
        (confidential(redirect_uris=["https://app.example/c b"]), "has spaces"),
        (confidential(redirect_uris=["https://app.example/ü"]), "non-ASCII"),
        (confidential(redirect_uris=[7]), "redirect_uris[0] is not a non-empty string"),
        (confidential(redirect_uris=["https://a.example/cb", "https://a.example/cb"]), "names one URI twice"),
        (
            confidential(redirect_uris=["https://a.example/cb", "https://b.example/cb#f"]),
            "redirect_uris[1] 'https://b.example/cb#f' has a fragment",
        ),
        (confidential(post_logout_redirect_uris=["http://app.example/"]), "post_logout_redirect_uris[0]"),
        (confidential(post_logout_redirect_uris=["https://app.example/#top"]), "has a fragment"),
        (confidential(post_logout_redirect_uris="https://app.example/"), "post_logout_redirect_uris is not a list"),
        (confidential(colour="blue"), "unknown member(s) 'colour'"),
        (confidential(client_secret="plain"), "unknown member(s) 'client_secret'"),
        (confidential(redirect_uri="https://a.example/cb"), "unknown member(s) 'redirect_uri'"),
        ({k: v for k, v in confidential().items() if k != "client_id"}, "client 0: client_id is missing"),
        (confidential(client_id=""), "client_id is not a non-empty string"),
        (confidential(client_id=12), "client_id is not a non-empty string"),
        (confidential(client_id="my app"), "visible ASCII characters"),
        (confidential(client_id="x" * 256), "1-255"),
        (confidential(name=""), "name is not a non-empty string"),
        (confidential(token_endpoint_auth_method="private_key_jwt"), "token_endpoint_auth_method 'private_key_jwt'"),
        ({k: v for k, v in confidential().items() if k != "client_secret_hash"}, "client_secret_hash is missing"),
        (confidential(token_endpoint_auth_method="client_secret_post", client_secret_hash=None), "is missing"),
        (public(client_secret_hash=SECRET_HASH), "client 0 ('cli'): client_secret_hash is set for a public client"),
        (confidential(client_secret_hash=SECRET), "client_secret_hash is not `scrypt$n$r$p$salt$hash`"),
        (confidential(client_secret_hash="scrypt$16384$8$1$c2FsdA$aGFzaA"), "a salt of at least 16 bytes"),
        (confidential(client_secret_hash="scrypt$1024$8$1$" + SECRET_HASH.split("$", 4)[4]), "out of bounds"),
        (confidential(client_secret_hash="scrypt$16385$8$1$" + SECRET_HASH.split("$", 4)[4]), "out of bounds"),
        (confidential(client_secret_hash="scrypt$2097152$8$1$" + SECRET_HASH.split("$", 4)[4]), "out of bounds"),
        (confidential(client_secret_hash="scrypt$n$8$1$" + SECRET_HASH.split("$", 4)[4]), "non-numeric"),
        (confidential(client_secret_hash=SECRET_HASH[:-2] + "!!"), "not base64url"),
        (confidential(scopes=["profile"]), "scopes must include 'openid'"),
        (confidential(scopes=[]), "scopes must include 'openid'"),
        (confidential(scopes=["openid", "email"]), "scopes 'email' not offered"),
        (confidential(scopes=["openid", "address"]), "scopes 'address' not offered"),
        (confidential(scopes="openid profile"), "scopes is not a list of strings"),
        (confidential(id_token_signed_response_alg="HS256"), "id_token_signed_response_alg 'HS256'"),
        (confidential(id_token_signed_response_alg="none"), "id_token_signed_response_alg 'none'"),
        ("grafana", "client 0: is not a JSON object"),
    ],
)
def test_every_mistake_in_a_client_is_refused_with_its_reason(entry: object, reason: str) -> None:
    with pytest.raises(ClientsFileError) as refused:
        clients_from_document({"clients": [entry]})
    assert reason in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_mistake_names_the_client_it_is_in() -> None:
    with pytest.raises(ClientsFileError, match=r"^client 1 \('cli'\): redirect_uris\[0\]"):
        clients_from_document({"clients": [confidential(), public(redirect_uris=["http://cli.example/cb"])]})


def test_a_client_id_registered_twice_is_refused() -> None:
    with pytest.raises(ClientsFileError, match=r"client 1 \('grafana'\): client_id 'grafana' is registered twice"):
        clients_from_document({"clients": [confidential(), confidential(name="Other")]})


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "cannot read"),
        ("[]", 'expected a JSON object {"clients": [...]}'),
        ('{"clients": {}}', 'expected a JSON object {"clients": [...]}'),
        ('{"clients": [], "extra": 1}', "and nothing else"),
        ('{"clients": []}', "no client is registered"),
        ('{"clients": [{"client_id": "a", "client_id": "b"}]}', "member 'client_id' appears twice"),
    ],
)
def test_a_file_that_is_not_a_clients_document_is_refused(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ClientsFileError) as refused:
        load_clients(path)
    assert reason in str(refused.value)
    assert str(path) in str(refused.value)


def test_a_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ClientsFileError, match=f"cannot read {tmp_path / 'absent.json'}"):
        load_clients(tmp_path / "absent.json")


def test_the_registry_refuses_one_client_id_twice() -> None:
    client = OidcClient("a", "A", ("https://a.example/cb",), token_endpoint_auth_method="none")
    assert ClientRegistry.of([client]).get("a") is client
    with pytest.raises(ValueError, match="twice"):
        ClientRegistry.of([client, client])


# --- secrets -----------------------------------------------------------------------------------------------


def test_a_secret_matches_its_hash_and_nothing_else() -> None:
    assert len(SECRET) == 43
    assert new_secret() != SECRET
    assert secret_matches(SECRET, SECRET_HASH)
    assert not secret_matches(SECRET[:-1], SECRET_HASH)
    assert not secret_matches(SECRET + "x", SECRET_HASH)
    assert not secret_matches(new_secret(), SECRET_HASH)
    assert not secret_matches("", SECRET_HASH)
    assert not secret_matches(SECRET, "")
    assert not secret_matches(SECRET, SECRET)  # the secret is not its own hash
    assert not secret_matches(SECRET, SECRET_HASH.replace("scrypt$16384", "scrypt$32768"))


def test_each_hash_has_its_own_salt_and_is_scrypt_as_documented() -> None:
    again = hash_secret(SECRET)
    assert again != SECRET_HASH
    assert secret_matches(SECRET, again)
    name, n, r, p, salt, digest = SECRET_HASH.split("$")
    assert (name, n, r, p) == ("scrypt", "16384", "8", "1")

    def decode(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    assert len(decode(salt)) == SALT_BYTES
    expected = hashlib.scrypt(SECRET.encode(), salt=decode(salt), n=2**14, r=8, p=1, dklen=32)
    assert decode(digest) == expected


def test_a_hash_made_with_stronger_parameters_still_matches() -> None:
    salt = bytes(range(16))
    digest = hashlib.scrypt(b"s3cret", salt=salt, n=2**15, r=8, p=2, maxmem=2**26, dklen=32)
    encoded = "$".join(
        ["scrypt", "32768", "8", "2", *(base64.urlsafe_b64encode(x).rstrip(b"=").decode() for x in (salt, digest))]
    )
    assert secret_matches("s3cret", encoded)
    assert clients_from_document({"clients": [confidential(client_secret_hash=encoded)]}).get("grafana")


def test_an_overlong_secret_is_refused_without_hashing() -> None:
    assert not secret_matches("x" * 1025, SECRET_HASH)
