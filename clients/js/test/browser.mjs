// A real browser (Debian's Chromium, headless, driven by playwright-core) against a live web3-auth. The pages
// get an EIP-1193 wallet whose personal_sign is answered here, in Node, by an ethers key.
//
//   node test/browser.mjs <web3-auth base URL> <frontend port> <artifacts dir>
//
// Pages: web3-auth's own /demo; and, on <frontend port>, a frontend under several names (Chromium resolves
// *.test to 127.0.0.1): app.test (in AUTH_DOMAINS and AUTH_CORS_ORIGINS), unlisted.test (a CORS origin, not
// a domain), other.test (neither). It serves the README's plain and fetch examples with /auth/ proxied to
// web3-auth (one origin), a page that imports web3-auth's /auth/client.js across origins, and one that imports
// a copy of the module served as an app's bundle would. Prints the facts observed, as JSON;
// tests/interop/test_browser.py holds the expectations.
import { readFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { getBytes, toUtf8String, Wallet } from "ethers";
import { chromium } from "playwright-core";

const [base, frontendPort, artifacts] = process.argv.slice(2);
const auth = new URL(base);
const wallet = Wallet.createRandom();
const signed = []; // every message the wallet signed

const PAGES = {
  "/plain.html": `<!doctype html><meta charset="utf-8"><title>plain example</title>
    <button id="sign-out">Sign out</button>
    <script type="module">${readFileSync(new URL("../examples/plain.js", import.meta.url), "utf8")}</script>`,
  "/fetch.html": `<!doctype html><meta charset="utf-8"><title>fetch example</title>
    <script type="module">${readFileSync(new URL("../examples/fetch.js", import.meta.url), "utf8")}</script>`,
  "/cross.html": `<!doctype html><meta charset="utf-8"><title>frontend</title>
    <script type="module">import * as client from "${base}/auth/client.js"; window.client = client;</script>`,
  "/bundled.html": `<!doctype html><meta charset="utf-8"><title>bundled copy</title>
    <script type="module">import * as client from "/assets/web3-auth.js"; window.client = client;</script>`,
};
const BUNDLED_COPY = readFileSync(new URL("../web3-auth.js", import.meta.url), "utf8");

const frontend = http.createServer((request, response) => {
  if (request.url.startsWith("/auth/")) {
    const upstream = http.request(
      { host: auth.hostname, port: auth.port, path: request.url, method: request.method, headers: request.headers },
      (answer) => answer.pipe(response.writeHead(answer.statusCode, answer.headers)),
    );
    request.pipe(upstream);
    return;
  }
  if (request.url === "/assets/web3-auth.js") {
    response.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(BUNDLED_COPY);
    return;
  }
  const page = PAGES[request.url];
  response.writeHead(page ? 200 : 404, { "content-type": "text/html; charset=utf-8" }).end(page ?? "not found");
});
await new Promise((resolve) => frontend.listen(Number(frontendPort), "127.0.0.1", resolve));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--host-resolver-rules=MAP *.test 127.0.0.1"],
});
const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
await context.exposeBinding("testWalletSign", async (_source, data) => {
  const message = data.startsWith("0x") ? toUtf8String(getBytes(data)) : data; // as wallets take both
  signed.push(message);
  return wallet.signMessage(message);
});
await context.addInitScript((address) => {
  window.ethereum = {
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
}, wallet.address);

const problems = []; // uncaught errors in any page
context.on("weberror", (error) => problems.push(String(error.error())));

async function demo() {
  const page = await context.newPage();
  const text = (selector) => page.textContent(selector);
  const status = (expected) => page.waitForFunction((want) => document.querySelector("#status").textContent === want, expected);
  await page.goto(`${base}/demo`);
  await status("Signed out");
  const initially = await text("#status");
  await page.click("#sign-in");
  await status("Signed in");
  const signedIn = { address: await text("#address"), chain: await text("#chain"), expiry: await text("#expiry") };
  await page.click("#me");
  await page.waitForFunction(() => document.querySelector("#output").textContent.includes("session_id"));
  const me = JSON.parse(await text("#output"));
  await page.screenshot({ path: join(artifacts, "demo-signed-in.png"), fullPage: true });

  const resumed = page.waitForResponse((response) => response.url().endsWith("/auth/refresh"));
  await page.reload();
  const refresh = await resumed;
  await status("Signed in");
  const afterReload = { address: await text("#address"), refresh: refresh.status() };

  const logout = page.waitForResponse((response) => response.url().endsWith("/auth/logout"));
  await page.click("#sign-out");
  const loggedOut = (await logout).status();
  await status("Signed out");
  const refreshes = [];
  page.on("request", (request) => request.url().endsWith("/auth/refresh") && refreshes.push(request.url()));
  await page.reload();
  await status("Signed out");
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: join(artifacts, "demo-signed-out.png"), fullPage: true });
  const result = {
    initially,
    signedIn,
    me: { address: me.address, chainId: me.chain_id },
    afterReload,
    logout: loggedOut,
    afterSignOutReload: { status: await text("#status"), address: await text("#address"), refreshes: refreshes.length },
    error: await text("#error"),
  };
  await page.close();
  return result;
}

/** the demo under a name that is not one of AUTH_DOMAINS: no challenge is issued for it */
async function demoOnUnlistedDomain() {
  const page = await context.newPage();
  const demoUrl = new URL("/demo", base);
  demoUrl.hostname = "demo.test";
  await page.goto(demoUrl.href);
  await page.click("#sign-in");
  await page.waitForFunction(() => document.querySelector("#error").textContent !== "");
  await page.screenshot({ path: join(artifacts, "demo-domain-refused.png"), fullPage: true });
  const result = { status: await page.textContent("#status"), error: await page.textContent("#error") };
  await page.close();
  return result;
}

async function plainExample() {
  const page = await context.newPage();
  const logged = page.waitForEvent("console", (message) => message.text().startsWith("signed in as"));
  await page.goto(`http://app.test:${frontendPort}/plain.html`);
  const line = (await logged).text();
  const logout = page.waitForResponse((response) => response.url().endsWith("/auth/logout"));
  await page.click("#sign-out");
  const result = { line, logout: (await logout).status() };
  await page.close();
  return result;
}

/** the README's example without any library (fetch and personal_sign), on one origin */
async function fetchExample() {
  const page = await context.newPage();
  const before = signed.length;
  const logged = page.waitForEvent("console", (message) => message.text().startsWith("signed in as"));
  await page.goto(`http://app.test:${frontendPort}/fetch.html`);
  const result = { line: (await logged).text(), signed: signed.slice(before) };
  await page.close();
  return result;
}

/** on a frontend origin: sign in with the client imported from web3-auth's origin */
async function crossOrigin(host) {
  const page = await context.newPage();
  await page.goto(`http://${host}:${frontendPort}/cross.html`);
  await page.waitForFunction(() => window.client !== undefined);
  const result = await page.evaluate(async () => {
    const outcome = (promise) => promise.then((value) => value, (error) => `${error.status} ${error.code}`);
    const auth = new window.client.Web3Auth();
    const session = await outcome(auth.signIn(window.ethereum));
    if (typeof session === "string") return { signIn: session };
    const me = await outcome(auth.me());
    await auth.signOut();
    // a message for another domain, around a nonce issued for this one, signed by the same wallet
    const { address } = session;
    const challenge = await auth.challenge({ address });
    const forged = challenge.message.replace(/^[^ ]+/, "evil.test");
    const signature = await window.ethereum.request({ method: "personal_sign", params: [forged, address] });
    return {
      signIn: { baseUrl: auth.baseUrl, domain: auth.domain, address: session.address },
      me: me.address,
      otherDomain: await outcome(auth.verify(forged, signature)),
      signedOut: auth.session,
    };
  });
  await page.close();
  return result;
}

/** the module served by the app itself (a copy in its bundle), not by web3-auth: no default base URL */
async function bundledCopy() {
  const page = await context.newPage();
  await page.goto(`http://app.test:${frontendPort}/bundled.html`);
  await page.waitForFunction(() => window.client !== undefined);
  const result = await page.evaluate(async (base) => {
    let withoutBaseUrl;
    try {
      withoutBaseUrl = `constructed, baseUrl ${new window.client.Web3Auth().baseUrl}`;
    } catch (error) {
      withoutBaseUrl = `${error.name}: ${error.message}`;
    }
    const signIn = await window.client.signIn(window.ethereum).then(
      () => "signed in",
      (error) => `${error.name}: ${error.message}`,
    );
    return { withoutBaseUrl, signIn, withBaseUrl: new window.client.Web3Auth({ baseUrl: `${base}/` }).baseUrl };
  }, base);
  await page.close();
  return result;
}

try {
  const results = {
    wallet: wallet.address,
    demo: await demo(),
    demoOnUnlistedDomain: await demoOnUnlistedDomain(),
    plainExample: await plainExample(),
    fetchExample: await fetchExample(),
    crossOrigin: await crossOrigin("app.test"),
    corsOriginNotADomain: await crossOrigin("unlisted.test"),
    notACorsOrigin: await crossOrigin("other.test"),
    bundledCopy: await bundledCopy(),
  };
  results.signedDomains = [...new Set(signed.map((message) => message.split(" ")[0]))].sort();
  results.problems = problems;
  process.stdout.write(JSON.stringify(results, null, 2) + "\n");
} finally {
  await browser.close();
  frontend.close();
}
