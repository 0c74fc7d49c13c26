"""https node URLs: the pool's HTTP client checks the certificate, so a node that cannot prove its name (here a
self-signed certificate on a real TLS socket) is never asked anything."""

import asyncio
import datetime
import ipaddress
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.config import Settings
from app.errors import RpcUnavailable
from app.policies import Policies
from app.rpc import jsonrpc
from app.rpc.pool import NodePools

CHAIN_ID = 1


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "node.pem", directory / "node.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@asynccontextmanager
async def tls_node(cert_file: Path, key_file: Path) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A JSON-RPC node over TLS that answers eth_chainId 0x1 to every request; yields its URL and the
    requests it received."""
    received: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
            )
            body = await reader.readexactly(length)
            received.append(body)
            request_id = body.split(b'"id":')[1].split(b",")[0].strip()
            reply = b'{"jsonrpc":"2.0","id":' + request_id + b',"result":"0x1"}'
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(reply) + reply)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    try:
        yield f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}", received
    finally:
        server.close()


async def test_a_node_whose_certificate_does_not_verify_is_a_node_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(variable, raising=False)
    cert_file, key_file = self_signed(tmp_path)
    async with tls_node(cert_file, key_file) as (url, received):
        # the node itself answers, to a client that trusts its certificate...
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=cert_file)) as trusting:
            assert await jsonrpc.request(trusting, url, "eth_chainId", []) == "0x1"
        assert len(received) == 1
        # ...and the pool, which checks certificates, refuses it before sending a byte of JSON-RPC
        pools = NodePools(Policies.from_settings(Settings(chain_ids=[CHAIN_ID], rpc_urls={CHAIN_ID: [url]})).nodes)
        try:
            with pytest.raises(RpcUnavailable):
                await pools.session(time.monotonic() + 1).has_code(CHAIN_ID, "0x" + "00" * 20)
            assert pools.status()[str(CHAIN_ID)][0]["last_error"] == "transport"
        finally:
            await pools.close()
        assert len(received) == 1
