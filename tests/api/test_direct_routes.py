"""/auth/me and /auth/forward are answered before FastAPI's router (app.api.dispatch): the same answers as
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


FORWARD_200 = 'web3auth_http_requests_total{method="POST",route="/auth/forward",status="200"}'


async def test_forward_auth_answers_under_its_path_as_envoy_asks_it(
    client: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    # Envoy's HTTP ext_authz sends the original method and path after its path_prefix, and may pass the body on
    bearer = {"Authorization": f"Bearer {(await signed_in(client, wallet))['access_token']}"}
    before = await counted(client, FORWARD_200)
    big_body = b"x" * (2 * 65536)  # over the body limit: forward-auth never reads it
    response = await client.post("/auth/forward/api/orders/7?page=2", headers=bearer, content=big_body)
    assert response.status_code == 200
    assert (response.headers["x-auth-address"], response.headers["cache-control"]) == (wallet.address, "no-store")
    assert await counted(client, FORWARD_200) == before + 1  # one route label for every path under it
    refused = await client.get("/auth/forward/api/orders")
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")
    # a whole segment only: /auth/forwarded is no forward-auth
    assert (await client.get("/auth/forwarded", headers=bearer)).status_code == 404
