"""`python -m app`: serving, keygen, openapi, and refusing bad configuration in one line."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.domain.keys import key_set_from_jwks
from app.main import create_app
from app.oidc.clients import secret_matches
from app.workers import available_cores, worker_count
from tests.support.process import run_app, serving, started_app
from tests.support.redis_server import free_port
from tests.support.wallets import new_wallet, sign


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA", "RS256"])
def test_keygen_prints_a_usable_private_key_set(algorithm: str) -> None:
    result = run_app("keygen", "--alg", algorithm)
    assert result.returncode == 0, result.stderr
    keys = key_set_from_jwks(json.loads(result.stdout), algorithm)
    assert "d" in json.loads(result.stdout)["keys"][0]
    assert keys.signing.algorithm == algorithm


def test_openapi_writes_the_apps_schema(tmp_path: Path) -> None:
    result = run_app("openapi", "-o", str(tmp_path / "schema.json"), AUTH_JWT_ALG="nonsense")
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "schema.json").read_text()) == create_app(Settings()).openapi()


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"AUTH_JWT_ALG": "HS512"}, "AUTH_JWT_ALG"),
        ({"AUTH_JWT_ALG": "HS256"}, "AUTH_JWT_SECRET"),
        ({"AUTH_JWT_ALG": "HS256", "AUTH_JWT_SECRET": "too short"}, "32 bytes"),
        ({"AUTH_JWT_SECRET": "s" * 40}, "only used with HS256"),
        ({"AUTH_DOMAINS": "exa mple.com"}, "AUTH_DOMAINS"),
        ({"AUTH_DOMAINS": ":"}, "empty host"),
        ({"AUTH_DOMAINS": "@"}, "empty host"),
        ({"AUTH_DOMAINS": "localhost:8000,user@:8000"}, "empty host"),
        ({"AUTH_CHAIN_IDS": "1,mainnet"}, "AUTH_CHAIN_IDS"),
        ({"AUTH_CHAIN_IDS": "0"}, "AUTH_CHAIN_IDS"),
        ({"AUTH_WORKERS": "2"}, "AUTH_REDIS_URL"),
        ({"AUTH_WORKERS": "2", "AUTH_REDIS_URL": "redis://127.0.0.1:6379"}, "AUTH_JWT_KEYS_FILE"),
        ({"AUTH_REDIS_TIMEOUT": "2"}, "AUTH_REDIS_TIMEOUT"),
        ({"AUTH_RATE_LIMIT_IP": "60/minute;1000/hour"}, "AUTH_RATE_LIMIT_IP"),
        ({"AUTH_RATE_LIMIT_IP": "lots"}, "AUTH_RATE_LIMIT_IP"),
        ({"AUTH_RATE_LIMIT_ADDRESS": "0/minute"}, "AUTH_RATE_LIMIT_ADDRESS"),
        ({"AUTH_TRUSTED_PROXIES": "*"}, "AUTH_TRUSTED_PROXIES"),
        ({"AUTH_RPC_URLS": "mainnet=https://rpc.example"}, "AUTH_RPC_URLS"),
        ({"AUTH_RPC_URLS": "1="}, "AUTH_RPC_URLS"),
        ({"AUTH_RPC_URLS": "1=http://node:8545x"}, "AUTH_RPC_URLS"),
        ({"AUTH_RPC_URLS": "0=https://rpc.example"}, "AUTH_RPC_URLS"),
        ({"AUTH_RPC_URLS": "1=http://rpc.example/v3/key"}, "AUTH_RPC_ALLOW_HTTP"),
        ({"AUTH_RPC_URLS": "1=https://a.example", "AUTH_RPC_QUORUM": "2"}, "AUTH_RPC_QUORUM"),
        ({"AUTH_RPC_MAX_SIGNATURE_BYTES": "64"}, "AUTH_RPC_MAX_SIGNATURE_BYTES"),
        ({"AUTH_RATE_LIMIT_RPC_FAILURES_IP": "lots"}, "AUTH_RATE_LIMIT_RPC_FAILURES_IP"),
        ({"AUTH_RPC_TIMEOUT": "0"}, "AUTH_RPC_TIMEOUT"),
        ({"AUTH_RPC_BREAKER_FAILURES": "0"}, "AUTH_RPC_BREAKER_FAILURES"),
        ({"AUTH_TRUSTED_PROXIES": "10.0.0.0/33"}, "AUTH_TRUSTED_PROXIES"),
        ({"AUTH_INTROSPECT_TOKEN": ""}, "AUTH_INTROSPECT_TOKEN"),
        ({"AUTH_INTROSPECT_TOKEN": "short"}, "AUTH_INTROSPECT_TOKEN"),
        ({"AUTH_REFRESH_REUSE_GRACE": "3600"}, "AUTH_REFRESH_REUSE_GRACE"),
        ({"AUTH_PORT": "http"}, "AUTH_PORT"),
        ({"AUTH_REDIS_URL": "localhost:6379"}, "AUTH_REDIS_URL"),
        ({"AUTH_REDIS_URL": "redis+sentinel://127.0.0.1:26379"}, "service name"),
        ({"AUTH_REDIS_URL": "redis+cluster://"}, "host:port"),
        ({"AUTH_REDIS_URL": "redis+cluster://127.0.0.1:7000,127.0.0.1:http"}, "host:port"),
        ({"AUTH_LOG_FORMAT": "xml"}, "AUTH_LOG_FORMAT"),
        ({"AUTH_SHUTDOWN_GRACE": "-1"}, "AUTH_SHUTDOWN_GRACE"),
        ({"AUTH_METRICS_TOKEN": "short"}, "AUTH_METRICS_TOKEN"),
        ({"AUTH_STATEMENT": "100% safe"}, "AUTH_STATEMENT"),
        ({"AUTH_DOMAINS": "user@app.example"}, "has userinfo"),
        ({"AUTH_URIS": "javascript:alert(1)"}, "AUTH_URIS"),
        ({"AUTH_URIS": "https://app.example,https://app.example/login"}, "a prefix ends in '/'"),
        ({"AUTH_URIS": "https://app.example@evil.example"}, "userinfo"),
        ({"AUTH_MAX_MESSAGE_LIFETIME": "120"}, "AUTH_MAX_MESSAGE_LIFETIME (120 s) is under AUTH_NONCE_TTL"),
        ({"AUTH_MAX_MESSAGE_LIFETIME": "1 day"}, "AUTH_MAX_MESSAGE_LIFETIME"),
        ({"AUTH_JWT_KEYS_FILE": "/nonexistent/keys.json"}, "cannot read"),
    ],
)
def test_bad_configuration_stops_the_start_with_one_line(variables: dict[str, str], named: str) -> None:
    result = run_app(**variables)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("web3-auth: ")
    assert named in lines[0]


def test_python_m_app_serves_a_complete_sign_in(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    assert run_app("keygen", "--output", str(keys_file)).returncode == 0
    wallet = new_wallet()
    with serving(AUTH_JWT_KEYS_FILE=str(keys_file)) as base_url, httpx.Client(base_url=base_url) as http:
        challenge = http.post("/auth/challenge", json={"address": wallet.address.lower()}).json()
        response = http.post(
            "/auth/verify", json={"message": challenge["message"], "signature": sign(wallet, challenge["message"])}
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        me = http.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["address"] == wallet.address
        published = http.get("/.well-known/jwks.json").json()["keys"]
        assert [key["kid"] for key in published] == [json.loads(keys_file.read_text())["keys"][0]["kid"]]


def test_the_pure_python_ecc_backend_stops_the_start_with_one_line() -> None:
    """eth-keys falls back to its pure-Python backend silently (~200 times slower than coincurve): forced onto
    it, the service refuses to start, as for any other bad setting."""
    result = run_app(AUTH_PORT=str(free_port()), ECC_BACKEND_CLASS="eth_keys.backends.NativeECCBackend")
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("web3-auth: ")
    assert "NativeECCBackend" in lines[0]
    assert "coincurve" in lines[0]


@pytest.mark.parametrize("with_key_file", [False, True])
def test_starting_without_a_key_logs_the_ephemeral_key_warning(tmp_path: Path, with_key_file: bool) -> None:
    variables: dict[str, str] = {}
    if with_key_file:
        assert run_app("keygen", "--output", str(tmp_path / "keys.json")).returncode == 0
        variables["AUTH_JWT_KEYS_FILE"] = str(tmp_path / "keys.json")
    with started_app(**variables) as running:
        kid = httpx.get(f"{running.url}/.well-known/jwks.json").json()["keys"][0]["kid"]
        assert running.stop() == 0
        records = [json.loads(line) for line in running.output().splitlines() if line.startswith("{")]
    warnings = [record for record in records if "ephemeral" in record["message"]]
    if with_key_file:
        assert warnings == []
        return
    assert len(warnings) == 1, records
    assert warnings[0]["level"] == "warning"
    assert warnings[0]["message"].startswith("no AUTH_JWT_KEYS_FILE: signing with an ephemeral ES256 key")
    assert f"(kid {kid})" in warnings[0]["message"]  # the key it then publishes


def test_a_bad_node_url_is_refused_without_showing_it() -> None:
    """Providers put API keys in node URLs: an error names the chain, never the URL."""
    result = run_app(AUTH_RPC_URLS="1=https://rpc.example/v3/secret-key-1,8453=wss://rpc.example/secret-key-2")
    assert result.returncode == 2
    assert "AUTH_RPC_URLS" in result.stderr
    assert "chain 8453" in result.stderr
    assert "secret-key" not in result.stderr


def test_workers_default_to_one_per_core_only_where_the_workers_can_share_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in [name for name in os.environ if name.startswith("AUTH_")]:
        monkeypatch.delenv(name)
    assert worker_count(Settings()) == 1  # the memory store lives in one process
    monkeypatch.setenv("AUTH_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert worker_count(Settings()) == 1  # each worker would sign with an ephemeral key of its own
    monkeypatch.setenv("AUTH_JWT_KEYS_FILE", str(tmp_path / "keys.json"))
    assert worker_count(Settings()) == available_cores()
    assert 1 <= available_cores() <= len(os.sched_getaffinity(0))
    monkeypatch.setenv("AUTH_WORKERS", "1")
    assert worker_count(Settings()) == 1


def test_a_port_already_taken_stops_the_start_with_a_failure_status() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run_app(AUTH_PORT=str(taken.getsockname()[1]))
    assert result.returncode == 3, result.stderr[-2000:]
    assert "address already in use" in (result.stdout + result.stderr).lower()


@pytest.mark.parametrize(
    ("membership", "files", "cores"),
    [
        ("0::/", {}, None),  # no quota anywhere: the affinity
        ("0::/kubepods/pod1/web", {"kubepods/pod1/cpu.max": "150000 100000", "cpu.max": "max 100000"}, 2),
        ("0::/system.slice/app.service", {"system.slice/app.service/cpu.max": "50000 100000"}, 1),
        ("4:cpu,cpuacct:/docker/abc", {"cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "100000",
                                       "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000"}, 1),
        ("4:cpu,cpuacct:/docker/abc", {"cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "-1",
                                       "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000"}, None),
    ],
)  # fmt: skip
def test_available_cores_honour_the_cpu_quota_of_the_processs_cgroups(
    tmp_path: Path, membership: str, files: dict[str, str], cores: int | None
) -> None:
    proc_cgroup = tmp_path / "cgroup"
    proc_cgroup.write_text(membership + "\n")
    for name, text in files.items():
        (tmp_path / "fs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / name).write_text(text + "\n")
    affinity = len(os.sched_getaffinity(0))
    expected = affinity if cores is None else min(cores, affinity)
    assert available_cores(proc_cgroup, tmp_path / "fs") == expected


@pytest.mark.parametrize(
    "everything", ["0.0.0.0/0", "::/0", "10.0.0.1/32,203.0.113.9/0", "0.0.0.0/1,128.0.0.0/1", "::/1,8000::/1"]
)
def test_a_trusted_proxy_range_that_holds_every_address_stops_the_start(everything: str) -> None:
    """Like `*`: trusting every address would let any client choose its X-Forwarded-For key."""
    result = run_app(AUTH_TRUSTED_PROXIES=everything)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("web3-auth: ")
    assert "AUTH_TRUSTED_PROXIES" in lines[0]
    assert "every address" in lines[0]
    # wide, but not everything; halves of different versions do not add up
    assert Settings(trusted_proxies=["10.0.0.0/8", "::/1", "128.0.0.0/1", "unix"]).trusted_proxies


# --- keys on disk ------------------------------------------------------------------------------------------


def test_keygen_output_writes_a_new_0600_file_and_never_overwrites(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    assert run_app("keygen", "--output", str(keys_file)).returncode == 0
    assert keys_file.stat().st_mode & 0o777 == 0o600
    key_set_from_jwks(json.loads(keys_file.read_text()), "ES256")
    before = keys_file.read_text()
    again = run_app("keygen", "--output", str(keys_file))
    assert again.returncode == 2
    assert "exists" in again.stderr
    assert keys_file.read_text() == before


@pytest.mark.parametrize("planted", ["a 0644 file", "a symlink"])
def test_keygen_rotate_with_a_planted_tmp_leaves_a_0600_key_file_and_writes_nothing_through_it(
    tmp_path: Path, planted: str
) -> None:
    keys_file, elsewhere = tmp_path / "keys.json", tmp_path / "elsewhere.json"
    assert run_app("keygen", "--output", str(keys_file)).returncode == 0
    keys_file.chmod(0o600)
    temporary = tmp_path / "keys.json.tmp"
    if planted == "a symlink":
        elsewhere.write_text("untouched")
        temporary.symlink_to(elsewhere)
    else:
        temporary.write_text("stale")
        temporary.chmod(0o644)
    for action in ("--stage", "--rotate", "--prune"):
        result = run_app("keygen", action, str(keys_file))
        assert result.returncode == 0, result.stderr
        assert keys_file.stat().st_mode & 0o777 == 0o600
        assert not keys_file.is_symlink()
    assert len(json.loads(keys_file.read_text())["keys"]) == 2
    if planted == "a symlink":
        assert elsewhere.read_text() == "untouched"
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["keys.json", "keys.json.tmp", *(["elsewhere.json"] if planted == "a symlink" else [])]
    ), "a temporary file was left behind"


def test_keygen_refuses_to_rewrite_a_symlinked_key_file(tmp_path: Path) -> None:
    target, link = tmp_path / "target.json", tmp_path / "keys.json"
    assert run_app("keygen", "--output", str(target)).returncode == 0
    link.symlink_to(target)
    before = target.read_text()
    result = run_app("keygen", "--rotate", str(link))
    assert result.returncode == 2
    assert "symbolic link" in result.stderr
    assert target.read_text() == before


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_file_others_can_read_stops_the_start_with_one_line(tmp_path: Path, mode: int) -> None:
    keys_file = tmp_path / "keys.json"
    assert run_app("keygen", "--output", str(keys_file)).returncode == 0
    keys_file.chmod(mode)
    if mode & 0o070 and os.geteuid() == 0:
        os.chown(keys_file, 1000, 1000)  # group-readable is allowed for root's files only (Kubernetes' Secrets)
    result = run_app(AUTH_PORT=str(free_port()), AUTH_JWT_KEYS_FILE=str(keys_file))
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("web3-auth: AUTH_JWT_KEYS_FILE: ")
    assert "chmod 600" in lines[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can make a file root's own with another group")
def test_a_root_owned_group_readable_key_file_is_served_as_kubernetes_mounts_secrets(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    assert run_app("keygen", "--output", str(keys_file)).returncode == 0
    os.chown(keys_file, 0, 10001)
    keys_file.chmod(0o440)
    with serving(AUTH_JWT_KEYS_FILE=str(keys_file)) as base_url:
        assert httpx.get(f"{base_url}/.well-known/jwks.json").json()["keys"]


# --- a wallet in the terminal ------------------------------------------------------------------------------


def test_sign_makes_a_private_wallet_key_and_signs_a_challenge_that_verifies(tmp_path: Path) -> None:
    wallet_key = tmp_path / "wallet.key"
    made = run_app("sign", "--new-key", str(wallet_key))
    assert made.returncode == 0, made.stderr
    address = made.stdout.strip()
    assert wallet_key.stat().st_mode & 0o777 == 0o600
    assert run_app("sign", "--key", str(wallet_key), "--address").stdout.strip() == address
    assert run_app("sign", "--new-key", str(wallet_key)).returncode == 2  # never overwritten
    with serving() as base_url, httpx.Client(base_url=base_url) as http:
        challenge = http.post("/auth/challenge", json={"address": address})
        signed = subprocess.run(
            [sys.executable, "-m", "app", "sign", "--key", str(wallet_key)],
            input=challenge.text,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert signed.returncode == 0, signed.stderr
        body = json.loads(signed.stdout)
        assert body["signature"].startswith("0x")
        assert http.post("/auth/verify", json=body).json()["address"] == address


# --- OpenID Connect: client secrets, keys of another algorithm, the clients file at start ------------------


def test_oidc_secret_prints_a_secret_and_a_hash_that_matches_it() -> None:
    result = run_app("oidc-secret")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert set(printed) == {"client_secret", "client_secret_hash"}
    assert len(printed["client_secret"]) == 43
    assert printed["client_secret_hash"].startswith("scrypt$16384$8$1$")
    assert secret_matches(printed["client_secret"], printed["client_secret_hash"])
    assert not secret_matches(printed["client_secret"][:-1], printed["client_secret_hash"])
    assert json.loads(run_app("oidc-secret").stdout)["client_secret"] != printed["client_secret"]


def test_keygen_add_puts_a_key_of_another_algorithm_in_the_file_once(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    assert run_app("keygen", "--output", str(keys_file)).returncode == 0
    signer = json.loads(keys_file.read_text())["keys"][0]
    added = run_app("keygen", "--alg", "RS256", "--add", str(keys_file))
    assert added.returncode == 0, added.stderr
    assert keys_file.stat().st_mode & 0o777 == 0o600
    document = json.loads(keys_file.read_text())
    assert document["keys"][0] == signer
    keys = key_set_from_jwks(document, "ES256")
    assert keys.signing.kid == signer["kid"]
    rs256 = keys.signing_for("RS256")
    assert rs256 is not None
    assert f"{rs256.kid} (RS256)" in added.stderr
    again = run_app("keygen", "--alg", "RS256", "--add", str(keys_file))
    assert again.returncode == 2
    assert "an RS256 key signs here already" in again.stderr
    without_alg = run_app("keygen", "--add", str(keys_file))
    assert without_alg.returncode == 2
    assert "--add needs --alg" in without_alg.stderr
    rotated = run_app("keygen", "--alg", "RS256", "--rotate", str(keys_file))  # the RS256 key only
    assert rotated.returncode == 0, rotated.stderr
    keys = key_set_from_jwks(json.loads(keys_file.read_text()), "ES256")
    assert keys.signing.kid == signer["kid"]
    assert keys.signing_for("RS256") not in (None, rs256)
    assert keys.by_kid[rs256.kid].retired


def clients_document(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "clients.json"
    path.write_text(json.dumps(document))
    return path


GOOD_CLIENT = {"client_id": "rp", "redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "none"}


@pytest.mark.parametrize(
    ("document", "named"),
    [
        (None, "cannot read"),
        ({"clients": [{**GOOD_CLIENT, "redirect_uris": ["http://rp.example/cb"]}]}, "plain http://"),
        ({"clients": [GOOD_CLIENT, GOOD_CLIENT]}, "client_id 'rp' is registered twice"),
        ({"clients": [{**GOOD_CLIENT, "scopes": ["profile"]}]}, "must include 'openid'"),
        ({"clients": [{**GOOD_CLIENT, "secret": "x"}]}, "unknown member(s) 'secret'"),
    ],
)
def test_a_bad_oidc_clients_file_stops_the_start_with_one_line(tmp_path: Path, document: object, named: str) -> None:
    path = tmp_path / "absent.json" if document is None else clients_document(tmp_path, document)
    result = run_app(AUTH_PORT=str(free_port()), AUTH_OIDC_CLIENTS_FILE=str(path))
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("web3-auth: AUTH_OIDC_CLIENTS_FILE: ")
    assert str(path) in lines[0]
    assert named in lines[0]


def test_with_oidc_on_a_keys_file_without_rs256_stops_the_start_with_one_line(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    assert run_app("keygen", "--output", str(keys_file)).returncode == 0
    clients = clients_document(tmp_path, {"clients": [GOOD_CLIENT]})
    result = run_app(AUTH_PORT=str(free_port()), AUTH_JWT_KEYS_FILE=str(keys_file), AUTH_OIDC_CLIENTS_FILE=str(clients))
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("web3-auth: ")
    assert "no RS256 key, which OpenID Connect needs for ID tokens" in lines[0]
    assert f"keygen --alg RS256 --add {keys_file}" in lines[0]
    assert run_app("keygen", "--alg", "RS256", "--add", str(keys_file)).returncode == 0  # as it says
    with serving(AUTH_JWT_KEYS_FILE=str(keys_file), AUTH_OIDC_CLIENTS_FILE=str(clients)) as base_url:
        published = httpx.get(f"{base_url}/.well-known/jwks.json").json()["keys"]
        assert [key["alg"] for key in published] == ["ES256", "RS256"]


def test_hs256_with_oidc_on_stops_the_start_with_one_line(tmp_path: Path) -> None:
    clients = clients_document(tmp_path, {"clients": [GOOD_CLIENT]})
    result = run_app(AUTH_JWT_ALG="HS256", AUTH_JWT_SECRET="s" * 40, AUTH_OIDC_CLIENTS_FILE=str(clients))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "AUTH_OIDC_CLIENTS_FILE needs published keys" in lines[0]
