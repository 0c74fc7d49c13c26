"""Command line: `python -m app` serves; `keygen` makes and rotates signing keys; `sign` signs a challenge with a
wallet key from the terminal; `oidc-secret` makes an OpenID Connect client secret; `openapi` writes the schema.

python -m app                                  serve on AUTH_HOST:AUTH_PORT with AUTH_WORKERS workers
python -m app keygen --alg ES256 [-o FILE]     a private JWK Set for AUTH_JWT_KEYS_FILE (FILE: new, mode 0600)
python -m app keygen --stage|--rotate|--prune FILE [--alg ALG]   (--alg: that algorithm's keys; default the file's)
python -m app keygen --alg RS256 --add FILE    a key of another algorithm in FILE (ID tokens: OpenID Connect)
python -m app sign --new-key FILE              a new wallet key in FILE (mode 0600); prints its address
python -m app sign --key FILE < challenge      the /auth/verify body for a /auth/challenge answer
python -m app oidc-secret                      a client secret and the hash AUTH_OIDC_CLIENTS_FILE keeps of it
python -m app openapi [-o FILE]                write the OpenAPI schema (default openapi.json; - for stdout)
"""

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

if TYPE_CHECKING:
    from app.config import Settings

PROGRAM = "web3-auth"


def _fail(message: str) -> None:
    print(f"{PROGRAM}: {message}", file=sys.stderr)
    raise SystemExit(2)


def serve() -> None:
    from app.config import Settings, describe_errors
    from app.domain.keys import KeyFileError
    from app.domain.signatures.eip191 import ensure_fast_backend
    from app.files import readable_by_others
    from app.lifecycle import exit_cleanly_after_draining
    from app.lifespan import load_keys, load_oidc_clients
    from app.observability.logs import configure_logging
    from app.oidc.clients import ClientsFileError
    from app.policies import Policies
    from app.workers import worker_count

    try:
        settings = Settings()
        Policies.from_settings(settings)  # what only the layers below config can check
    except ValidationError as exc:
        _fail(describe_errors(exc))
    try:
        ensure_fast_backend()
        if settings.jwt_keys_file is not None:
            load_keys(settings)  # a broken keys file stops us here, in one line, not in every worker
            if problem := readable_by_others(settings.jwt_keys_file):
                _fail(f"AUTH_JWT_KEYS_FILE: {problem}: private signing keys must be readable by this user only")
        load_oidc_clients(settings)
    except (RuntimeError, KeyFileError) as exc:
        _fail(str(exc))
    except ClientsFileError as exc:
        _fail(f"AUTH_OIDC_CLIENTS_FILE: {exc}")
    configure_logging(settings.log_level, settings.log_format)  # the supervisor's own lines, with workers
    workers = worker_count(settings)
    metrics_directory = share_metrics_between_workers() if workers > 1 else None
    exit_cleanly_after_draining()
    try:
        run_uvicorn(settings, workers)
    finally:
        if metrics_directory is not None:
            shutil.rmtree(metrics_directory, ignore_errors=True)


def run_uvicorn(settings: "Settings", workers: int) -> None:
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from app.http_limits import HttpLimits, LimitedConfig, raise_open_files_limit
    from app.lifecycle import draining, stop_workers_at_once

    config = LimitedConfig(
        "app.main:create_served_app",
        limits=HttpLimits.from_settings(settings, open_files=raise_open_files_limit()),
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        loop="uvloop",  # libuv's event loop and the llhttp parser: both C, named so a missing one fails loudly
        ws="none",  # no WebSocket routes: an upgrade request must not leave the limited protocol
        proxy_headers=False,  # client addresses are ours to decide (trusted proxies), not uvicorn's
        server_header=False,
        timeout_graceful_shutdown=settings.shutdown_grace,
        log_config=None,  # app.observability.logs configures logging in each worker
        access_log=False,  # one line per request comes from app.api.middleware.telemetry
    )
    if config.workers == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:  # the port is taken, say: the reason is logged
            raise SystemExit(STARTUP_FAILURE)
        return
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])  # what uvicorn.run() does, plus:
    stop_workers_at_once(supervisor, settings.shutdown_grace)
    supervisor.run()
    if not draining and any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        raise SystemExit(STARTUP_FAILURE)  # uvicorn's supervisor gives up and returns as if all went well


def share_metrics_between_workers() -> str:
    """prometheus-client's multiprocess mode: every worker writes its samples to one fresh directory."""
    import os
    import tempfile

    directory = tempfile.mkdtemp(prefix="web3auth-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    return directory


def keygen(algorithm: str | None, output: Path | None) -> None:
    from app.domain.keys import generate_private_key, private_jwk
    from app.files import write_private_file

    algorithm = algorithm or "ES256"
    document = json.dumps({"keys": [private_jwk(generate_private_key(algorithm), algorithm)]}, indent=2) + "\n"
    if output is None:
        sys.stdout.write(document)
        return
    try:
        write_private_file(output, document, replace=False)
    except OSError as exc:
        _fail(f"{output}: {exc.strerror}" if exc.strerror else str(exc))  # PrivateFileError names the file
    print(f"{PROGRAM}: wrote a new {algorithm} key to {output} (mode 0600)", file=sys.stderr)


def change_key_file(path: Path, action: str, algorithm: str | None, rollout: int) -> None:
    """Stage, rotate, prune or add keys in `path`, rewriting it atomically (mode 0600, app.files). --stage
    and --rotate change the keys of `algorithm` (default: the file's first key's, the access tokens').

    A key is marked retired when --rotate rewrites the file, but running servers keep signing with it
    until they restart with the new file: pruning waits `rollout` seconds more than a token lives."""
    import time

    from app.config import Settings, describe_errors
    from app.domain.keys import (
        KeyFileError,
        add_key,
        key_set_from_jwks,
        prune_keys,
        rotate_keys,
        signing_algorithm,
        stage_key,
    )
    from app.files import write_private_file

    if action == "add" and algorithm is None:
        _fail("keygen --add needs --alg: the algorithm of the key to add (RS256 for OpenID Connect ID tokens)")
    try:
        document = json.loads(path.read_text())
        file_algorithm = signing_algorithm(document)
        chosen = algorithm or file_algorithm
        now = int(time.time())
        if action == "stage":
            changed = stage_key(document, chosen)
        elif action == "rotate":
            changed = rotate_keys(document, chosen, now)
        elif action == "add":
            changed = add_key(document, chosen, now)
        else:
            try:
                settings = Settings()
            except ValidationError as exc:
                _fail(describe_errors(exc))
            changed = prune_keys(document, now, needed_for=settings.access_ttl + settings.clock_skew + rollout)
        keys = key_set_from_jwks(changed, file_algorithm)
        write_private_file(path, json.dumps(changed, indent=2) + "\n")
    except (OSError, ValueError, KeyFileError) as exc:
        _fail(f"{path}: {exc}")
    kids = ", ".join(key.kid for key in keys.keys)
    signers = ", ".join(f"{key.kid} ({name})" for name in keys.signing_algorithms if (key := keys.signing_for(name)))
    print(f"{PROGRAM}: {action}: signing: {signers}; published: {kids}", file=sys.stderr)


def oidc_secret() -> None:
    """A new client secret, for the client only, and its hash, for the clients file (client_secret_hash)."""
    from app.oidc.clients import hash_secret, new_secret

    secret = new_secret()
    print(json.dumps({"client_secret": secret, "client_secret_hash": hash_secret(secret)}))


def sign(key: Path | None, new_key: Path | None, address_only: bool) -> None:
    """A wallet in the terminal, for trying the API with curl: its key stays in a 0600 file. Reads a
    /auth/challenge answer (JSON with `message`), or the message itself, on standard input, and prints the
    /auth/verify body {"message", "signature"} (EIP-191 personal_sign, 0x-prefixed)."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    from app.files import write_private_file

    if new_key is not None:
        account = Account.create()
        try:
            write_private_file(new_key, "0x" + bytes(account.key).hex() + "\n", replace=False)
        except OSError as exc:
            _fail(str(exc))
        print(account.address)
        return
    assert key is not None  # argparse requires one of the two
    try:
        account = Account.from_key(key.read_text().strip())
    except (OSError, ValueError) as exc:
        _fail(f"{key}: not a wallet key file ({exc})")
    if address_only:
        print(account.address)
        return
    text = sys.stdin.read()
    try:
        message = json.loads(text)["message"] if text.lstrip().startswith("{") else text.removesuffix("\n")
    except (ValueError, KeyError, TypeError):
        _fail("standard input is neither a /auth/challenge answer (JSON with a `message`) nor a message")
    if not isinstance(message, str) or not message:
        _fail("the message to sign is empty")
    signature = account.sign_message(encode_defunct(text=message)).signature
    print(json.dumps({"message": message, "signature": "0x" + bytes(signature).hex()}))


def openapi(output: str) -> None:
    from app.config import Settings
    from app.main import create_app

    # The schema does not depend on configuration: build it from the defaults, whatever AUTH_* says.
    document = json.dumps(create_app(Settings.model_construct()).openapi(), indent=2) + "\n"
    if output == "-":
        sys.stdout.write(document)
    else:
        Path(output).write_text(document)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description="web3-auth: Sign-In with Ethereum service")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the API (the default)")
    keygen_parser = commands.add_parser("keygen", help="print a new private JWK Set, or rotate the keys of a file")
    keygen_parser.add_argument("--alg", choices=["ES256", "EdDSA", "RS256"], help="default: the file's, else ES256")
    change = keygen_parser.add_mutually_exclusive_group()
    for action in ("stage", "rotate", "prune", "add"):
        change.add_argument(f"--{action}", type=Path, metavar="FILE")
    change.add_argument("-o", "--output", type=Path, metavar="FILE", help="write a new key file (0600), not stdout")
    keygen_parser.add_argument("--rollout", type=int, default=3600, metavar="SECONDS", help="with --prune")
    sign_parser = commands.add_parser("sign", help="sign a challenge with a wallet key from a file (for curl)")
    wallet = sign_parser.add_mutually_exclusive_group(required=True)
    wallet.add_argument("--key", type=Path, metavar="FILE", help="the wallet key (0x hex) to sign with")
    wallet.add_argument("--new-key", type=Path, metavar="FILE", help="make a new wallet key in FILE; print its address")
    sign_parser.add_argument("--address", action="store_true", help="with --key: print the address only")
    commands.add_parser("oidc-secret", help="a new OpenID Connect client secret and its hash for the clients file")
    openapi_parser = commands.add_parser("openapi", help="write the OpenAPI schema")
    openapi_parser.add_argument("-o", "--output", default="openapi.json", help="file to write, or - for stdout")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        chosen = next((name for name in ("stage", "rotate", "prune", "add") if getattr(args, name)), None)
        if chosen is None:
            keygen(args.alg, args.output)
        else:
            change_key_file(getattr(args, chosen), chosen, args.alg, args.rollout)
    elif args.command == "sign":
        sign(args.key, args.new_key, args.address)
    elif args.command == "oidc-secret":
        oidc_secret()
    elif args.command == "openapi":
        openapi(args.output)
    else:
        serve()


if __name__ == "__main__":
    main()
