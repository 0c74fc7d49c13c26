"""What bounds the sessions one client can open, over HTTP on the memory store and a real Redis: sign-ins per
client IP (forged ones spend nothing), the ceiling of live sessions (503 store_full, the nonce kept, the gauge),
and the idle end that refresh_expires_in reports."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import jwt
from eth_account.signers.local import LocalAccount

from tests.api.test_rate_limits import BEHIND_A_PROXY, assert_rate_limited, from_ip
from tests.support.app import signed_challenge, signed_in
from tests.support.metrics import samples, value
from tests.support.wallets import new_wallet, sign

OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


async def verify(client: httpx.AsyncClient, body: dict[str, str], headers: dict[str, str]) -> httpx.Response:
    return await client.post("/auth/verify", json=body, headers=headers)


async def test_successful_sign_ins_per_client_ip_are_limited_and_forged_ones_spend_nothing(
    open_client: OpenClient,
) -> None:
    async with open_client(rate_limit_signin_ip="2/hour", **BEHIND_A_PROXY) as client:
        office = from_ip("198.51.100.7")
        for _ in range(3):  # forged: a signature by another key
            forged = await signed_challenge(client, new_wallet(), headers=office)
            forged["signature"] = sign(new_wallet(), forged["message"])
            assert (await verify(client, forged, office)).json()["error"] == "invalid_signature"
        for _ in range(2):  # a wallet each: only the per-IP budget is shared
            wallet = new_wallet()
            assert (
                await verify(client, await signed_challenge(client, wallet, headers=office), office)
            ).status_code == 200
        pending = await signed_challenge(client, new_wallet(), headers=office)
        assert_rate_limited(await verify(client, pending, office), 2, 3600)
        # the address form counts too; another client is not affected
        address_form = {"address": pending["message"].split("\n")[1], "signature": pending["signature"]}
        assert_rate_limited(await verify(client, address_form, office), 2, 3600)
        elsewhere = from_ip("2001:db8::1")
        assert (
            await verify(client, await signed_challenge(client, new_wallet(), headers=elsewhere), elsewhere)
        ).status_code == 200
        # the same /64 is the same client
        neighbour = from_ip("2001:db8::2")
        body = await signed_challenge(client, new_wallet(), headers=neighbour)
        assert (await verify(client, body, neighbour)).status_code == 200
        assert_rate_limited(
            await verify(client, await signed_challenge(client, new_wallet(), headers=neighbour), neighbour), 2, 3600
        )


async def test_at_the_session_ceiling_a_sign_in_is_503_store_full_and_its_nonce_still_signs_in_later(
    open_client: OpenClient,
) -> None:
    async with open_client(max_sessions=2) as client:
        first = await signed_in(client, new_wallet())
        await signed_in(client, new_wallet())
        page = samples((await client.get("/metrics")).text)
        assert (value(page, "web3auth_sessions_live"), value(page, "web3auth_sessions_max")) == (2, 2)
        pending = await signed_challenge(client, new_wallet())
        refused = await client.post("/auth/verify", json=pending)
        assert (refused.status_code, refused.json()["error"]) == (503, "store_full"), refused.text
        assert set(refused.json()) == {"error", "detail"}
        assert int(refused.headers["retry-after"]) >= 1
        bearer = {"Authorization": f"Bearer {first['access_token']}"}
        assert (await client.post("/auth/logout", headers=bearer)).status_code == 204  # leaves the count
        assert value(samples((await client.get("/metrics")).text), "web3auth_sessions_live") == 1
        again = await client.post("/auth/verify", json=pending)  # the very message: its nonce was kept
        assert again.status_code == 200, again.text
        page = samples((await client.get("/metrics")).text)
        assert value(page, "web3auth_sign_ins_total", outcome="store_full") >= 1
        assert value(page, "web3auth_sessions_live") == 2


async def test_refresh_expires_in_is_the_idle_end_and_each_refresh_moves_it_on(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    async with open_client(access_ttl=60, session_idle_ttl=120, refresh_ttl=3600) as client:
        tokens = await signed_in(client, wallet)
        assert tokens["refresh_expires_in"] == 120
        renewed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert renewed.status_code == 200, renewed.text
        assert 119 <= renewed.json()["refresh_expires_in"] <= 120
    async with open_client(access_ttl=60, session_idle_ttl=3600, refresh_ttl=3600) as client:
        tokens = await signed_in(client, wallet)  # idle as long as the session: the absolute end is the end
        assert tokens["refresh_expires_in"] == 3600
        claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 60
