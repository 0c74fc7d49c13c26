// Interop against a live web3-auth: messages built by siwe (v3) and viem, signed by ethers v6 and viem
// accounts; tokens validated by jose against the JWKS; the client and both adapters end to end.
//
//   node test/interop.mjs <base URL>
//
// Prints one JSON object, the facts each case observed (statuses, error codes, claims); the pytest side
// (tests/interop/test_node_interop.py) holds the expectations. Cases run concurrently.
import http from "node:http";
import { Wallet } from "ethers";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { SiweMessage } from "siwe";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSiweMessage, parseSiweMessage } from "viem/siwe";
import { appKitSiweConfig } from "../adapters/appkit.js";
import { rainbowKitAdapter } from "../adapters/rainbowkit.js";
import { currentSession, signIn, signOut, Web3Auth } from "../web3-auth.js";
import { appKitMessage, post, signedBy, walletProvider } from "./support.mjs";

const base = process.argv[2];
const DOMAIN = "app.example.com";
const STATEMENT = "Sign in to the example app.";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const newEthers = () => Wallet.createRandom();
const newViem = () => privateKeyToAccount(generatePrivateKey());
const challenge = (address, fields = {}) => post(base, "/auth/challenge", { address, domain: DOMAIN, ...fields });
const meStatus = (token) => fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
/** "resolved" (or what `value` makes of the result), else "<status> <code>" of the error */
const outcome = (promise, value = () => "resolved") => promise.then(value, (error) => `${error.status} ${error.code}`);

/** the status /auth/me answers for `token`; polled for up to 5 s until it is `until`, for work done in the background */
async function statusOf(token, until) {
  let status = await meStatus(token);
  for (let tries = 0; until !== undefined && status !== until && tries < 250; tries++) {
    await sleep(20);
    status = await meStatus(token);
  }
  return status;
}

/**
 * A fetch for a client, to stage races and failures. `hold(path)`: the next request to `path` reaches the
 * service, its answer is kept back until `release()` (`answer` resolves to it meanwhile). `fail(path, status,
 * code)`: requests to `path` get that error without reaching the service, until `heal(path)`.
 */
function stagedFetch() {
  const holds = [];
  const failing = new Map();
  const staged = async (input, init) => {
    const path = new URL(String(input)).pathname;
    const failure = failing.get(path);
    if (failure) return Response.json({ error: failure.code, detail: "staged failure" }, { status: failure.status });
    const index = holds.findIndex((hold) => hold.path === path);
    if (index < 0) return fetch(input, init);
    const [hold] = holds.splice(index, 1);
    // read whole now, and answered from memory on release: a response held half-read (a clone's tee) while
    // the client goes on could lose its body, which the client then saw as a bare TypeError
    const response = await fetch(input, init);
    const text = await response.text();
    hold.answered({ status: response.status, body: JSON.parse(text) });
    await hold.released;
    return new Response(text, { status: response.status, headers: response.headers });
  };
  staged.hold = (path) => {
    const hold = { path };
    hold.answer = new Promise((resolve) => (hold.answered = resolve));
    hold.released = new Promise((resolve) => (hold.release = resolve));
    holds.push(hold);
    return hold;
  };
  staged.fail = (path, status = 503, code = "store_unavailable") => failing.set(path, { status, code });
  staged.heal = (path) => failing.delete(path);
  return staged;
}

/** the message each library builds around a server nonce */
const builders = {
  siwe: (fields) => new SiweMessage({ ...fields, issuedAt: new Date().toISOString() }).prepareMessage(),
  viem: (fields) => createSiweMessage(fields),
};

async function libraryMessage(builder, signer, { statement = STATEMENT } = {}) {
  const wallet = signer === "ethers" ? newEthers() : newViem();
  const { body } = await challenge(wallet.address, { chain_id: 8453 });
  const fields = { domain: DOMAIN, address: wallet.address, uri: `https://${DOMAIN}/login`, version: "1" };
  const message = builders[builder]({ ...fields, statement, chainId: 8453, nonce: body.nonce });
  const signature = await signedBy(wallet, message);
  const verified = await post(base, "/auth/verify", { message, signature });
  return { status: verified.status, address: verified.body.address, wallet: wallet.address, tokens: verified.body };
}

const cases = {
  // a message from each library, signed by each signer
  ...Object.fromEntries(
    ["siwe", "viem"].flatMap((builder) =>
      ["ethers", "viem"].map((signer) => [
        `${builder}_message_${signer}_signature`,
        async () => {
          const { status, address, wallet, tokens } = await libraryMessage(builder, signer);
          return { status, signedInAs: address === wallet, chainId: tokens.chain_id };
        },
      ]),
    ),
  ),

  async without_statement() {
    const siwe = await libraryMessage("siwe", "ethers", { statement: undefined });
    const viem = await libraryMessage("viem", "viem", { statement: undefined });
    return { siwe: siwe.status, viem: viem.status };
  },

  // a nonce before the address (POST /auth/nonce): each library writes the whole message, one per chain
  async open_nonce_messages() {
    const observed = {};
    for (const [builder, signer] of [["siwe", "ethers"], ["viem", "viem"]]) {
      const wallet = signer === "ethers" ? newEthers() : newViem();
      const { body: issued } = await post(base, "/auth/nonce", { domain: DOMAIN });
      const fields = { domain: issued.domain, address: wallet.address, uri: issued.uri, version: "1", nonce: issued.nonce };
      const one = builders[builder]({ ...fields, statement: issued.statement, chainId: 8453 });
      const single = await post(base, "/auth/verify", { message: one, signature: await signedBy(wallet, one) });
      const { body: next } = await post(base, "/auth/nonce", { domain: DOMAIN });
      const messages = [];
      for (const chainId of issued.chain_ids) {
        const text = builders[builder]({ ...fields, nonce: next.nonce, statement: STATEMENT, chainId });
        messages.push({ message: text, signature: await signedBy(wallet, text) });
      }
      const batch = await post(base, "/auth/verify", { messages });
      const expected = (chains) => chains.map((chain) => `eip155:${chain}:${wallet.address}`);
      observed[builder] = {
        single: single.status,
        singleAccounts: JSON.stringify(single.body.accounts) === JSON.stringify(expected([8453])),
        batch: batch.status,
        batchAccounts: JSON.stringify(batch.body.accounts) === JSON.stringify(expected(issued.chain_ids)),
      };
    }
    return observed;
  },

  // what the libraries read in the messages the service writes
  async service_message_read_by_libraries() {
    const wallet = newEthers();
    const { body } = await challenge(wallet.address);
    const bySiwe = new SiweMessage(body.message);
    const byViem = parseSiweMessage(body.message);
    const signature = await wallet.signMessage(body.message);
    const siweVerdict = await bySiwe.verify({ signature, domain: DOMAIN, nonce: body.nonce });
    return {
      siweReserialised: bySiwe.prepareMessage() === body.message,
      siwe: { nonce: bySiwe.nonce === body.nonce, address: bySiwe.address === body.address, chainId: bySiwe.chainId },
      viem: { nonce: byViem.nonce === body.nonce, address: byViem.address === body.address, chainId: byViem.chainId },
      siweVerifies: siweVerdict.success,
    };
  },

  async refusals() {
    const wallet = newViem();
    const other = newViem();
    const { body } = await challenge(wallet.address);
    const fields = { address: wallet.address, uri: `https://${DOMAIN}`, version: "1", chainId: 1, statement: STATEMENT };
    const attempt = async (overrides, signer = wallet) => {
      const message = createSiweMessage({ ...fields, domain: DOMAIN, nonce: body.nonce, ...overrides });
      const { status, body: answer } = await post(base, "/auth/verify", { message, signature: await signedBy(signer, message) });
      return [status, answer.error];
    };
    return {
      made_up_nonce: await attempt({ nonce: "0123456789abcdef0123456789abcdef" }),
      other_domain: await attempt({ domain: "evil.example.com" }),
      other_chain: await attempt({ chainId: 8453 }),
      unlisted_chain: await attempt({ chainId: 10 }),
      other_signer: await attempt({}, other),
      // the nonce is still there: none of the refusals above spent it
      finally_accepted: (await attempt({}))[0],
      replayed: (await attempt({}))[1],
    };
  },

  async jose() {
    const { tokens, wallet } = await libraryMessage("viem", "ethers");
    const { body: metadata } = await fetch(`${base}/.well-known/oauth-authorization-server`).then(async (r) => ({
      body: await r.json(),
    }));
    const keys = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
    const expected = { issuer: metadata.issuer, audience: "web3-auth", typ: "at+jwt", algorithms: ["ES256"] };
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, keys, expected);
    const refused = async (token, options = expected) =>
      jwtVerify(token, keys, options).then(
        () => "accepted",
        (error) => error.code,
      );
    const [header, claims, signature] = tokens.access_token.split(".");
    const forged = `${header}.${claims}.${signature.slice(0, -4)}${signature.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    return {
      subject: payload.sub === wallet,
      chainId: payload.chain_id,
      hasSessionId: typeof payload.sid === "string",
      alg: protectedHeader.alg,
      forgedSignature: await refused(forged),
      otherAudience: await refused(tokens.access_token, { ...expected, audience: "another-api" }),
      otherIssuer: await refused(tokens.access_token, { ...expected, issuer: "https://evil.example.com" }),
    };
  },

  // the client, with an EIP-1193 provider over a viem account
  async client_flow() {
    const account = newViem();
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN, uri: `https://${DOMAIN}` });
    const changes = [];
    auth.onChange((session) => changes.push(session ? "in" : "out"));
    const session = await auth.signIn(walletProvider(account, 8453));
    const me = await auth.me();
    const before = session.accessToken;
    const refreshed = await auth.refresh();
    const meAfter = await auth.me();
    const oldTokenMe = await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${before}` } });
    await auth.signOut();
    const revoked = await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${refreshed.accessToken}` } });
    const afterSignOut = await auth.authFetch(`${base}/auth/me`).catch((error) => error.code);
    return {
      address: session.address === account.address,
      chainId: session.chainId,
      expiresInSeconds: Math.round((session.expiresAt - Date.now()) / 1000),
      me: me.address === account.address,
      newAccessToken: refreshed.accessToken !== before,
      meAfterRefresh: meAfter.session_id === me.session_id,
      oldTokenStillValid: oldTokenMe.status,
      revokedStatus: revoked.status,
      afterSignOut,
      changes,
    };
  },

  async client_signs_in_again() {
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN });
    const wallet = walletProvider(newViem(), 1);
    const first = await auth.signIn(wallet);
    const second = await auth.signIn(wallet);
    const firstStatus = await statusOf(first.accessToken, 401); // the previous session is revoked in the background
    const secondStatus = await meStatus(second.accessToken);
    await auth.signOut();
    return { first: firstStatus, second: secondStatus, afterSignOut: await meStatus(second.accessToken) };
  },

  // a refresh of session A whose answer comes after B signed in (another account): B stays, A's new tokens die
  async client_refresh_answered_after_sign_in() {
    const staged = stagedFetch();
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN, fetch: staged });
    const [a, b] = [newViem(), newViem()];
    await auth.signIn(walletProvider(a, 1));
    const held = staged.hold("/auth/refresh");
    const refreshing = outcome(auth.refresh());
    const rotated = await held.answer; // A's next tokens, issued by the service, not yet seen by the client
    const second = await auth.signIn(walletProvider(b, 1));
    held.release();
    return {
      refresh: await refreshing,
      session: auth.session?.address === b.address && auth.session.accessToken === second.accessToken,
      second: await meStatus(second.accessToken),
      rotated: await statusOf(rotated.body.access_token, 401), // revoked in the background
      refreshedAfter: (await auth.refresh()).address === b.address,
    };
  },

  // a refresh of session A refused (A ended elsewhere) after B signed in: B is not lost
  async client_refresh_refused_after_sign_in() {
    const staged = stagedFetch();
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN, fetch: staged });
    const first = await auth.signIn(walletProvider(newViem(), 1));
    await fetch(`${base}/auth/logout`, { method: "POST", headers: { authorization: `Bearer ${first.accessToken}` } });
    const held = staged.hold("/auth/refresh");
    const refreshing = outcome(auth.refresh());
    const refused = await held.answer;
    const second = await auth.signIn(walletProvider(newViem(), 1));
    held.release();
    return {
      refused: refused.status,
      refresh: await refreshing,
      signedIn: auth.session?.accessToken === second.accessToken,
      second: await meStatus(second.accessToken),
    };
  },

  // signOut() while the sign-in's verify is under way: the session it opens is revoked, not taken
  async client_sign_out_during_sign_in() {
    const staged = stagedFetch();
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN, fetch: staged });
    const changes = [];
    auth.onChange((session) => changes.push(session ? "in" : "out"));
    const held = staged.hold("/auth/verify");
    const signingIn = outcome(auth.signIn(walletProvider(newViem(), 1)));
    const issued = await held.answer;
    const signingOut = outcome(auth.signOut());
    held.release();
    return {
      signIn: await signingIn,
      signOut: await signingOut,
      session: auth.session,
      issued: await meStatus(issued.body.access_token), // revoked once signOut() resolved
      changes,
    };
  },

  // signOut() while a refresh is under way: the tokens the refresh brings are revoked
  async client_sign_out_during_refresh() {
    const staged = stagedFetch();
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN, fetch: staged });
    await auth.signIn(walletProvider(newViem(), 1));
    const held = staged.hold("/auth/refresh");
    const refreshing = outcome(auth.refresh());
    const rotated = await held.answer;
    const signingOut = outcome(auth.signOut());
    held.release();
    return {
      refresh: await refreshing,
      signOut: await signingOut,
      session: auth.session,
      rotated: await meStatus(rotated.body.access_token),
    };
  },

  // logout fails (503): signed out here at once, signOut() rejects, and the next signOut() revokes, the
  // session replaced by a second sign-in (whose background revocation failed too) included
  async client_sign_out_retries_revocation() {
    const staged = stagedFetch();
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN, fetch: staged });
    const changes = [];
    auth.onChange((session) => changes.push(session ? "in" : "out"));
    const first = await auth.signIn(walletProvider(newViem(), 1));
    staged.fail("/auth/logout");
    const second = await auth.signIn(walletProvider(newViem(), 1));
    const failed = await outcome(auth.signOut());
    const afterFailure = { session: auth.session, first: await meStatus(first.accessToken), second: await meStatus(second.accessToken) };
    staged.heal("/auth/logout");
    const retried = await outcome(auth.signOut());
    return {
      failed,
      afterFailure,
      retried,
      first: await meStatus(first.accessToken),
      second: await meStatus(second.accessToken),
      again: await outcome(auth.signOut()),
      changes,
    };
  },

  // the module's shared client: options replace it, and what it could not revoke is revoked by signOut()
  async shared_client_retries_revocation() {
    const staged = stagedFetch();
    const options = { baseUrl: base, domain: DOMAIN, fetch: staged };
    const first = await signIn(walletProvider(newViem(), 1), options);
    staged.fail("/auth/logout");
    const second = await signIn(walletProvider(newViem(), 1), options); // the first client's sign-out fails
    const failed = await outcome(signOut());
    staged.heal("/auth/logout");
    const retried = await outcome(signOut());
    return {
      failed,
      retried,
      first: await meStatus(first.accessToken),
      second: await meStatus(second.accessToken),
      session: currentSession(),
    };
  },

  async client_refreshes_before_expiry() {
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN, refreshLeeway: 899.7 }); // AUTH_ACCESS_TTL 900
    const first = await auth.signIn(walletProvider(newViem(), 1));
    const next = await new Promise((resolve) => {
      const stop = auth.onChange((session) => (stop(), resolve(session)));
      setTimeout(() => resolve(null), 3000);
    });
    const me = next && (await auth.me());
    await auth.signOut();
    return { refreshed: Boolean(next) && next.accessToken !== first.accessToken, sameAddress: me?.address === first.address };
  },

  async client_retries_once_after_401() {
    // A resource server that validates with jose and takes only tokens younger than 1 s (jose's
    // maxTokenAge): an old-enough token gets 401, a refreshed one passes.
    const keys = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
    const seen = [];
    const posted = []; // what a Request's own headers and body look like, on each try
    const text = async (stream) => {
      let body = "";
      for await (const chunk of stream) body += chunk;
      return body;
    };
    const server = http.createServer(async (request, response) => {
      const token = (request.headers.authorization ?? "").replace(/^Bearer /, "");
      seen.push(token);
      if (request.method === "POST") posted.push(`${request.headers["x-order"]} ${await text(request)}`);
      const ok = await jwtVerify(token, keys, { audience: "web3-auth", maxTokenAge: "1s" }).then(
        () => true,
        () => false,
      );
      response.writeHead(ok ? 200 : 401, { "content-type": "application/json" }).end(JSON.stringify({ ok }));
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const api = `http://127.0.0.1:${server.address().port}/orders`;
    try {
      const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN });
      let refreshes = 0;
      auth.onChange(() => refreshes++);
      await auth.signIn(walletProvider(newViem(), 1));
      const fresh = await auth.authFetch(api);
      await sleep(2100); // the token is 2 s old now: more than maxTokenAge
      refreshes = 0;
      const request = new Request(api, { method: "POST", body: "{}", headers: { "x-order": "42" } });
      const [a, b] = await Promise.all([auth.authFetch(api), auth.authFetch(request)]);
      const refreshed = refreshes;
      await auth.signOut();
      return {
        fresh: fresh.status,
        retried: [a.status, b.status],
        refreshes: refreshed,
        requests: seen.length,
        distinctTokens: new Set(seen).size,
        posted,
      };
    } finally {
      server.close();
    }
  },

  async client_refusals() {
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN });
    const refusal = (promise) => promise.then(
      () => "accepted",
      (error) => `${error.status} ${error.code}`,
    );
    const noAccount = { request: async ({ method }) => (method === "eth_requestAccounts" ? [] : "0x1") };
    const wrongKey = walletProvider(newViem(), 1, newViem());
    return {
      noAccount: await refusal(auth.signIn(noAccount)),
      otherKeySigns: await refusal(auth.signIn(wrongKey)),
      unlistedChain: await refusal(auth.signIn(walletProvider(newViem(), 10))),
      unlistedDomain: await refusal(new Web3Auth({ baseUrl: base, domain: "evil.example.com" }).signIn(walletProvider(newViem(), 1))),
      notSignedIn: await refusal(auth.authFetch(`${base}/auth/me`)),
      refreshSignedOut: await refusal(auth.refresh()),
      noServer: await refusal(new Web3Auth({ baseUrl: "http://127.0.0.1:9" }).challenge({ address: newViem().address })),
      session: auth.session,
    };
  },

  // RainbowKit's SignIn flow: getNonce when the dialog opens (no account named), then createMessage for the
  // connected account, the wallet signs, verify
  async rainbowkit_adapter() {
    const account = newViem();
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN, uri: `https://${DOMAIN}` });
    const adapter = rainbowKitAdapter(auth);
    const nonce = await adapter.getNonce();
    const message = adapter.createMessage({ nonce, address: account.address, chainId: 8453 });
    const forged = await adapter.verify({ message, signature: await newViem().signMessage({ message }) });
    const verified = await adapter.verify({ message, signature: await account.signMessage({ message }) });
    const me = await auth.me();
    await adapter.signOut();
    // as earlier versions were called: the account function is ignored, the statement still taken
    const legacy = rainbowKitAdapter(auth, () => ({}), { statement: "Welcome back." });
    const other = newViem();
    const legacyMessage = legacy.createMessage({ nonce: await legacy.getNonce(), address: other.address, chainId: 1 });
    const legacyVerified = await legacy.verify({ message: legacyMessage, signature: await other.signMessage({ message: legacyMessage }) });
    await legacy.signOut();
    return {
      builtByViem: message === createSiweMessage(parseSiweMessage(message)),
      forged,
      verified,
      me: me.address === account.address && me.chain_id,
      signedOut: auth.session === null,
      legacy: { verified: legacyVerified, statement: parseSiweMessage(legacyMessage).statement },
      unknownNonce: await Promise.resolve()
        .then(() => adapter.createMessage({ nonce: "0".repeat(40), address: account.address, chainId: 1 }))
        .then(() => "a message", (error) => error.message),
    };
  },

  // what the adapters make of a service that cannot answer: an error, not a refused signature
  async adapters_report_service_failures() {
    const staged = stagedFetch();
    const account = newViem();
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN, uri: `https://${DOMAIN}`, fetch: staged });
    const adapter = rainbowKitAdapter(auth, () => ({ address: account.address, chainId: 1 }));
    const message = adapter.createMessage({ nonce: await adapter.getNonce(), address: account.address, chainId: 1 });
    const signature = await account.signMessage({ message });
    const verify = () => outcome(adapter.verify({ message, signature }), String);
    staged.fail("/auth/verify", 429, "rate_limited");
    const rateLimited = await verify();
    staged.fail("/auth/verify", 503, "store_unavailable");
    const unavailable = await verify();
    staged.heal("/auth/verify");
    const verified = await verify(); // the service never saw the staged failures: the nonce is still there
    const token = auth.session?.accessToken;
    staged.fail("/auth/logout");
    const signOutFailed = await outcome(adapter.signOut());
    const stillValid = await meStatus(token);
    staged.heal("/auth/logout");
    const signOutRetried = await outcome(adapter.signOut());

    const appkit = appKitSiweConfig(auth, { chains: [1], account: () => ({ address: account.address, chainId: 1 }) });
    const { message: appkitMessage } = await appKitMessage(appkit, account.address);
    await appkit.verifyMessage({ message: appkitMessage, signature: await account.signMessage({ message: appkitMessage }) });
    const appkitToken = auth.session?.accessToken;
    staged.fail("/auth/logout");
    const appkitSignOutFailed = await appkit.signOut();
    staged.heal("/auth/logout");
    const appkitSignOutRetried = await appkit.signOut();
    return {
      rateLimited,
      unavailable,
      verified,
      signOutFailed,
      stillValid,
      signOutRetried,
      revoked: await meStatus(token),
      appkitSignOut: [appkitSignOutFailed, appkitSignOutRetried],
      appkitRevoked: await meStatus(appkitToken),
    };
  },

  // AppKit's network (chain 1) is not yet the wallet's (8453) when it asks for the nonce: the message names
  // the chain the nonce was issued for, and the sign-in goes through
  async appkit_adapter_other_chain() {
    const wallet = newEthers();
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN, uri: `https://${DOMAIN}` });
    const config = appKitSiweConfig(auth, { chains: [1, 8453], account: () => ({ address: wallet.address, chainId: 8453 }) });
    const { message } = await appKitMessage(config, wallet.address);
    const verified = await config.verifyMessage({ message, signature: await wallet.signMessage(message) });
    const session = await config.getSession();
    await config.signOut();
    return { verified, messageChainId: parseSiweMessage(message).chainId, sessionChainId: session?.chainId ?? null };
  },

  // AppKit's SIWE client: getMessageParams, getNonce(address), createMessage with a did:pkh address,
  // the wallet signs, verifyMessage, getSession; later signOut
  async appkit_adapter() {
    const wallet = newEthers();
    const auth = new Web3Auth({ baseUrl: base, domain: DOMAIN, uri: `https://${DOMAIN}` });
    const config = appKitSiweConfig(auth, { chains: [1, 8453], account: () => ({ address: wallet.address, chainId: 1 }) });
    const { params, message } = await appKitMessage(config, wallet.address);
    const before = await config.getSession();
    const verified = await config.verifyMessage({ message, signature: await wallet.signMessage(message) });
    const session = await config.getSession();
    const signedOut = await config.signOut();
    return {
      params,
      before,
      verified,
      session: session && { address: session.address === wallet.address, chainId: session.chainId },
      signedOut,
      after: await config.getSession(),
      replay: await config.verifyMessage({ message, signature: await wallet.signMessage(message) }),
    };
  },
};

const results = Object.fromEntries(
  await Promise.all(
    Object.entries(cases).map(async ([name, run]) => {
      try {
        return [name, await run()];
      } catch (error) {
        return [name, { crashed: String(error?.stack ?? error) }];
      }
    }),
  ),
);
process.stdout.write(JSON.stringify(results, null, 2) + "\n");
