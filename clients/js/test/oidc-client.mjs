// A relying party on openid-client 6 (OpenID-certified) against a live web3-auth acting as OpenID Provider:
// discovery, an authorization URL with PKCE (S256), state and nonce, the sign-in the provider's page does (a
// challenge on the provider's own domain with the redirect URI among its Resources, personal_sign by a real key,
// the completion form POSTed to the authorization endpoint), the code of the 303 redeemed by
// authorizationCodeGrant (which checks iss, state, the ID token's signature, aud, nonce and at_hash itself),
// UserInfo, a refresh, revocation; then a second sign-in ended by RP-Initiated Logout.
//
//   node test/oidc-client.mjs '<run as JSON>'
//
// The run: {issuer, clientId, clientSecret (null: a public client), idTokenAlg, redirectUri,
// postLogoutRedirectUri, chainId, signerKey (null: a fresh ethers key), wallet (null: the key's address; else
// the EIP-1271 contract wallet the key owns)}. Prints one JSON object of what each step observed; the
// expectations are in tests/interop/test_oidc_client.py.
import { Wallet } from "ethers";
import * as client from "openid-client";
import { post } from "./support.mjs";

const run = JSON.parse(process.argv[2]);
const base = run.issuer;
const signer = run.signerKey ? new Wallet(run.signerKey) : Wallet.createRandom();
const address = run.wallet ?? signer.address;
const SCOPE = "openid profile offline_access";

const bearer = (token) => ({ authorization: `Bearer ${token}` });
const meStatus = (token) => fetch(`${base}/auth/me`, { headers: bearer(token) }).then((response) => response.status);
/**
 * What an openid-client call that must fail threw: the HTTP status and the OAuth error code, from the body
 * (ResponseBodyError) or from the WWW-Authenticate challenge (WWWAuthenticateChallengeError, RFC 6750 §3)
 */
const refusal = (promise) =>
  promise.then(
    () => "resolved",
    (error) => ({ status: error.status, error: error.error ?? error.cause?.[0]?.parameters?.error ?? error.code }),
  );
/** the protected header of a JWT */
const header = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[0], "base64url").toString());

async function discover() {
  const authentication = run.clientSecret ? client.ClientSecretBasic(run.clientSecret) : client.None();
  const metadata = { id_token_signed_response_alg: run.idTokenAlg };
  if (!run.clientSecret) metadata.token_endpoint_auth_method = "none";
  return client.discovery(new URL(base), run.clientId, metadata, authentication, {
    execute: [client.allowInsecureRequests], // the provider is on http://127.0.0.1
  });
}

/**
 * One authorization, as a browser and the provider's sign-in page make it: the URL, the page, the challenge,
 * the signature, the completion POST (redirect: manual), then the code redeemed. What was observed, and the
 * tokens.
 */
async function authorize(config) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: run.redirectUri,
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  const page = await fetch(url, { redirect: "manual" });
  await page.text();

  const asked = await post(base, "/auth/challenge", {
    address,
    chain_id: run.chainId,
    domain: new URL(base).host,
    resources: [run.redirectUri],
  });
  const message = asked.body?.message;
  if (asked.status !== 200) return { observed: { challenge: asked }, tokens: null };
  const form = new URLSearchParams(url.searchParams);
  form.set("message", message);
  form.set("signature", await signer.signMessage(message));
  const completion = await fetch(new URL("/oidc/authorize", base), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
    redirect: "manual",
  });
  const location = completion.headers.get("location");
  const body = await completion.text();
  const observed = {
    authorizationUrl: { endpoint: url.origin + url.pathname, params: Object.fromEntries(url.searchParams) },
    page: { status: page.status, contentType: page.headers.get("content-type") },
    challenge: { status: asked.status, domain: asked.body.domain, message },
    completion: { status: completion.status, location, body: location ? null : body },
    state,
    nonce,
  };
  if (completion.status !== 303 || !location) return { observed, tokens: null };

  const tokens = await client.authorizationCodeGrant(config, new URL(location), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  observed.tokens = {
    tokenType: tokens.token_type,
    scope: tokens.scope,
    expiresIn: tokens.expires_in,
    hasRefreshToken: typeof tokens.refresh_token === "string",
    idTokenAlg: header(tokens.id_token).alg,
    claims: tokens.claims(),
  };
  return { observed, tokens };
}

async function flow() {
  const config = await discover();
  const metadata = config.serverMetadata();
  const facts = { address, discovery: metadata };

  const first = await authorize(config);
  facts.signIn = first.observed;
  if (!first.tokens) return facts;
  const { access_token: accessToken, refresh_token: refreshToken } = first.tokens;
  const sub = first.tokens.claims().sub;
  facts.userinfo = await client.fetchUserInfo(config, accessToken, sub);
  facts.meStatus = await meStatus(accessToken);

  const refreshed = await client.refreshTokenGrant(config, refreshToken);
  facts.refresh = {
    newAccessToken: typeof refreshed.access_token === "string" && refreshed.access_token !== accessToken,
    newRefreshToken: typeof refreshed.refresh_token === "string" && refreshed.refresh_token !== refreshToken,
    userinfoSub: (await client.fetchUserInfo(config, refreshed.access_token, sub)).sub,
    meStatus: await meStatus(refreshed.access_token),
  };

  await client.tokenRevocation(config, refreshed.refresh_token, { token_type_hint: "refresh_token" });
  facts.revoked = {
    userinfo: await refusal(client.fetchUserInfo(config, refreshed.access_token, sub)),
    firstUserinfo: await refusal(client.fetchUserInfo(config, accessToken, sub)),
    meStatus: await meStatus(refreshed.access_token),
    refresh: await refusal(client.refreshTokenGrant(config, refreshed.refresh_token)),
  };

  // a second sign-in, ended at the end-session endpoint: its tokens worked until then
  const second = await authorize(config);
  facts.secondSignIn = second.observed;
  if (!second.tokens) return facts;
  const logoutState = client.randomState();
  const endSession = client.buildEndSessionUrl(config, {
    id_token_hint: second.tokens.id_token,
    post_logout_redirect_uri: run.postLogoutRedirectUri,
    state: logoutState,
  });
  const before = await meStatus(second.tokens.access_token);
  const logout = await fetch(endSession, { redirect: "manual" });
  facts.logout = {
    endSessionUrl: { endpoint: endSession.origin + endSession.pathname, params: Object.fromEntries(endSession.searchParams) },
    status: logout.status,
    location: logout.headers.get("location"),
    state: logoutState,
    meBefore: before,
    userinfo: await refusal(client.fetchUserInfo(config, second.tokens.access_token, second.tokens.claims().sub)),
    meStatus: await meStatus(second.tokens.access_token),
    refresh: await refusal(client.refreshTokenGrant(config, second.tokens.refresh_token)),
  };
  await logout.text();
  return facts;
}

try {
  process.stdout.write(JSON.stringify(await flow()));
} catch (error) {
  // an openid-client check that failed: its code and the provider's answer, for the pytest failure
  const { code, error: oauthError, status } = error;
  const cause = error.cause instanceof Response ? { status: error.cause.status, body: await error.cause.text() } : error.cause;
  process.stdout.write(JSON.stringify({ crashed: { message: String(error.message), code, oauthError, status, cause } }));
}
