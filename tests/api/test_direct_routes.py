"""/auth/me and /auth/forward are answered before FastAPI's router (app.api.direct): the same answers as
the routes that document them, the router's own for anything else."""

import httpx
from eth_account.signers.local import LocalAccount

from tests.support.app import signed_in


async def test_me_answers_get_and_head_and_leaves_other_methods_to_the_router(
    client: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    bearer = {"Authorization": f"Bearer {(await signed_in(client, wallet))['access_token']}"}
    got = await client.get("/auth/me", headers=bearer)
    assert (got.status_code, got.json()["address"], got.headers["cache-control"]) == (200, wallet.address, "no-store")
    head = await client.head("/auth/me", headers=bearer)
    assert (head.status_code, head.content) == (200, b"")
    posted = await client.post("/auth/me", headers=bearer)
    assert (posted.status_code, posted.json()["error"]) == (405, "method_not_allowed")
    assert posted.headers["allow"] == "GET"


ME_401 = 'web3auth_http_requests_total{method="GET",route="/auth/me",status="401"}'
FORWARD_401 = 'web3auth_http_requests_total{method="other",route="/auth/forward",status="401"}'


async def counted(client: httpx.AsyncClient, series: str) -> float:
    lines = (await client.get("/metrics")).text.splitlines()
    return next((float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(series + " ")), 0.0)


async def test_refusals_keep_the_envelope_and_their_route_label(client: httpx.AsyncClient) -> None:
    before = [await counted(client, ME_401), await counted(client, FORWARD_401)]
    me = await client.get("/auth/me", headers={"Authorization": "Bearer not-a-token"})
    assert (me.status_code, me.json()["error"]) == (401, "invalid_token")
    forward = await client.request("PROPFIND", "/auth/forward")
    assert (forward.status_code, forward.json()["error"]) == (401, "invalid_token")
    assert forward.headers["www-authenticate"].startswith("Bearer")
    assert [await counted(client, ME_401), await counted(client, FORWARD_401)] == [n + 1 for n in before]
