// A real browser (Debian's Chromium, headless, driven by playwright-core) signing in to a relying party through
// web3-auth's OpenID Connect provider. The relying party is served here, on its own port, with openid-client
// (OpenID-certified): its /login builds the authorization URL (PKCE S256, state, nonce) and sends the browser
// there; its /callback redeems the code (authorizationCodeGrant checks the ID token, nonce, state and iss). The
// browser's wallet is an EIP-1193 provider, announced by EIP-6963 and set as window.ethereum, whose personal_sign
// is answered here by an ethers key.
//
//   CLIENT_ID=.. CLIENT_SECRET=.. node test/oidc-browser.mjs <issuer> <relying party port> <artifacts dir>
//
// Prints the facts observed, as JSON; tests/interop/test_oidc_browser.py holds the expectations.
import http from "node:http";
import { join } from "node:path";
import { getBytes, toUtf8String, Wallet } from "ethers";
import * as client from "openid-client";
import { chromium } from "playwright-core";

const [issuer, rpPort, artifacts] = process.argv.slice(2);
const rp = `http://127.0.0.1:${rpPort}`;
const redirectUri = `${rp}/callback`;
const wallet = Wallet.createRandom();
const signed = []; // every message the wallet signed
const WALLET_NAME = "Test Wallet";
const WALLET_ICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="4" fill="#1f5eff"/></svg>',
)}`;

const config = await client.discovery(
  new URL(issuer),
  process.env.CLIENT_ID,
  undefined,
  client.ClientSecretBasic(process.env.CLIENT_SECRET),
  { execute: [client.allowInsecureRequests] }, // the issuer is http://127.0.0.1
);

/** @type {{ verifier: string, state: string, nonce: string } | undefined} the one authorization under way */
let pending;
/** what the callback saw and what the code was redeemed for */
const callback = {};

function html(response, status, body) {
  response.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  response.end(`<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>Example RP</title>${body}`);
}

async function relyingParty(request, response) {
  const url = new URL(request.url, rp);
  if (url.pathname === "/") {
    html(response, 200, '<h1>Example RP</h1><a id="login" href="/login">Sign in with Ethereum</a>');
  } else if (url.pathname === "/login") {
    pending = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() };
    const authorization = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: "openid",
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: "S256",
      state: pending.state,
      nonce: pending.nonce,
    });
    response.writeHead(302, { location: authorization.href }).end();
  } else if (url.pathname === "/callback") {
    callback.url = url.href;
    callback.stateSent = pending?.state;
    try {
      const tokens = await client.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: pending?.verifier,
        expectedState: pending?.state,
        expectedNonce: pending?.nonce,
      });
      const claims = tokens.claims();
      callback.tokens = { tokenType: tokens.token_type, scope: tokens.scope, accessToken: Boolean(tokens.access_token) };
      callback.claims = { ...claims, nonceMatches: claims.nonce === pending?.nonce };
      html(response, 200, `<p>Signed in as ${claims.sub}</p>`);
    } catch (error) {
      callback.error = `${error.name}: ${error.message} ${JSON.stringify(error.cause ?? null)}`;
      html(response, 500, `<p>The code was refused: ${error.message}</p>`);
    }
  } else {
    html(response, 404, "not found");
  }
}

const server = http.createServer((request, response) => {
  relyingParty(request, response).catch((error) => response.writeHead(500).end(String(error)));
});
await new Promise((resolve) => server.listen(Number(rpPort), "127.0.0.1", resolve));

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
const context = await browser.newContext({ viewport: { width: 720, height: 640 } });
const problems = []; // console errors, uncaught errors and CSP violations, in any page
await context.exposeBinding("testWalletSign", async (_source, data) => {
  const message = data.startsWith("0x") ? toUtf8String(getBytes(data)) : data;
  signed.push(message);
  return wallet.signMessage(message);
});
await context.exposeBinding("testCspViolation", (source, violation) => problems.push(`CSP ${source.page.url()}: ${violation}`));
await context.addInitScript(({ address, name, icon }) => {
  document.addEventListener("securitypolicyviolation", (event) => {
    window.testCspViolation(`${event.violatedDirective} refused ${event.blockedURI}`);
  });
  const provider = {
    async request({ method, params }) {
      if (method === "eth_requestAccounts" || method === "eth_accounts") return [address];
      if (method === "eth_chainId") return "0x1";
      if (method === "personal_sign" && params[1].toLowerCase() === address.toLowerCase()) {
        return window.testWalletSign(params[0]);
      }
      throw Object.assign(new Error(`${method} is not supported`), { code: 4200 });
    },
    on() {},
    removeListener() {},
  };
  // a second wallet, whose user declines to sign
  const declining = {
    async request({ method }) {
      if (method === "personal_sign") throw Object.assign(new Error("User rejected the request."), { code: 4001 });
      return provider.request({ method });
    },
  };
  window.ethereum = provider; // as wallets do: the same provider is window.ethereum and announced
  const wallets = [
    { info: { uuid: crypto.randomUUID(), name, icon, rdns: "test.web3-auth" }, provider },
    { info: { uuid: crypto.randomUUID(), name: "Declining Wallet", icon, rdns: "test.declining" }, provider: declining },
  ].map(({ info, provider }) => Object.freeze({ info: Object.freeze(info), provider }));
  const announce = () => {
    for (const detail of wallets) window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
  };
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
}, { address: wallet.address, name: WALLET_NAME, icon: WALLET_ICON });

try {
  const page = await context.newPage();
  page.on("console", (message) => message.type() === "error" && problems.push(`console ${page.url()}: ${message.text()}`));
  page.on("pageerror", (error) => problems.push(`uncaught ${page.url()}: ${error}`));
  await page.goto(rp);
  const signInPage = page.waitForResponse((response) => new URL(response.url()).pathname === "/oidc/authorize");
  await page.click("#login");
  const answer = await signInPage;
  await page.waitForSelector("#wallets button img");
  const signin = await page.evaluate(() => ({
    url: location.href,
    title: document.title,
    clientName: document.querySelector("#client-name").textContent,
    domain: document.querySelector("#domain").textContent,
    buttons: Array.from(document.querySelectorAll("#wallets button"), (button) => button.textContent),
    iconLoaded: document.querySelector("#wallets img").complete && document.querySelector("#wallets img").naturalWidth > 0,
    hidden: Array.from(document.querySelectorAll("#complete input[type=hidden]"), (input) => input.name),
    statusLine: document.querySelector("#status").textContent,
  }));
  await page.screenshot({ path: join(artifacts, "oidc-signin.png"), fullPage: true });

  await page.click('#wallets button:has-text("Declining Wallet")');
  await page.waitForSelector("#status.error");
  const declined = await page.evaluate(() => ({
    statusLine: document.querySelector("#status").textContent,
    buttonsEnabled: Array.from(document.querySelectorAll("#wallets button"), (button) => !button.disabled),
    url: location.href,
  }));
  await page.screenshot({ path: join(artifacts, "oidc-declined.png"), fullPage: true });

  const completion = page.waitForResponse(
    (response) => response.request().method() === "POST" && response.url().endsWith("/oidc/authorize"),
  );
  await page.click(`#wallets button:has-text("${WALLET_NAME}")`);
  const completed = await completion;
  const posted = new URLSearchParams(completed.request().postData() ?? "");
  // the 303 to the client, or (a refusal) the provider's page saying why: both end in a loaded page
  await page.waitForURL((url) => url.origin === rp || completed.status() !== 303);
  await page.waitForLoadState();
  await page.screenshot({ path: join(artifacts, "oidc-landed.png"), fullPage: true });
  const landing = new URL(page.url());

  const results = {
    wallet: wallet.address,
    redirectUri,
    signin: {
      ...signin,
      status: answer.status(),
      headers: await answer.allHeaders(),
      query: Object.fromEntries(new URL(signin.url).searchParams),
    },
    declined,
    posted: [...posted.keys()],
    postedMessage: posted.get("message"),
    completion: { status: completed.status(), location: (await completed.allHeaders()).location ?? null },
    landing: {
      origin: landing.origin,
      path: landing.pathname,
      params: Object.fromEntries(landing.searchParams),
      shown: await page.textContent("body"),
    },
    callback,
    signed,
    problems,
  };
  process.stdout.write(JSON.stringify(results, null, 2) + "\n");
} finally {
  await browser.close();
  server.close();
}
