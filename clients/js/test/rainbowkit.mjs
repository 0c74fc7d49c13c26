// The real RainbowKit in a real browser (Debian's Chromium, headless, driven by playwright-core) against a live
// web3-auth: test/rainbowkit-page.jsx bundled here by esbuild from node_modules, served on http://app.test:<port>;
// the README example's web3-auth, https://auth.example.com, is routed to the service under test.
//
//   node test/rainbowkit.mjs <web3-auth base URL> <frontend port> <artifacts dir>
//
// A user's steps, by RainbowKit's own buttons: Connect Wallet → the test wallet (listed by EIP-6963) → Sign
// message → signed in → the account modal's Disconnect. Prints the facts observed, as JSON;
// tests/interop/test_rainbowkit_browser.py holds the expectations.
import { mkdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

const [base, frontendPort, artifacts] = process.argv.slice(2);
const bundleDir = join(artifacts, "bundle");
mkdirSync(bundleDir, { recursive: true });

const started = performance.now();
await build({
  entryPoints: { page: new URL("rainbowkit-page.jsx", import.meta.url).pathname },
  bundle: true,
  format: "esm",
  jsx: "automatic",
  outdir: bundleDir,
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "error",
});
const buildSeconds = (performance.now() - started) / 1000;

const ASSETS = { "/page.js": "text/javascript", "/page.css": "text/css" };
const PAGE = `<!doctype html><meta charset="utf-8"><title>RainbowKit</title>
  <link rel="stylesheet" href="/page.css"><div id="app"></div><script type="module" src="/page.js"></script>`;
const frontend = http.createServer((request, response) => {
  const type = ASSETS[request.url];
  if (type) {
    response.writeHead(200, { "content-type": `${type}; charset=utf-8` }).end(readFileSync(join(bundleDir, request.url)));
  } else if (request.url === "/") {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
  } else {
    response.writeHead(404).end();
  }
});
await new Promise((resolve) => frontend.listen(Number(frontendPort), "127.0.0.1", resolve));

const key = generatePrivateKey();
const address = privateKeyToAccount(key).address;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--host-resolver-rules=MAP *.test 127.0.0.1"],
});
const calls = []; // [method, path, status] of every call the page made to web3-auth
const nonces = []; // what /auth/nonce answered
const problems = []; // uncaught errors in the page
try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 }, locale: "en-US" });
  await context.route("https://auth.example.com/**", async (route) => {
    const url = new URL(route.request().url());
    const response = await route.fetch({ url: base + url.pathname + url.search });
    calls.push([route.request().method(), url.pathname, response.status()]);
    if (url.pathname === "/auth/nonce") nonces.push(await response.json());
    await route.fulfill({ response });
  });
  await context.addInitScript((walletKey) => {
    window.testWalletKey = walletKey;
  }, key);
  context.on("weberror", (error) => problems.push(String(error.error().stack)));
  const page = await context.newPage();
  const rainbowKitStatus = (wanted) =>
    page.waitForFunction((want) => document.querySelector("#rainbowkit-status")?.textContent === want, wanted);
  const meWith = async (token) => (await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;

  await page.goto(`http://app.test:${frontendPort}/`);
  await rainbowKitStatus("unauthenticated");
  await page.getByRole("button", { name: "Connect Wallet" }).click();
  const listed = page.getByRole("button", { name: "Test Wallet" });
  await listed.waitFor();
  await page.screenshot({ path: join(artifacts, "rainbowkit-wallets.png") });
  await listed.click();

  const signButton = page.getByRole("button", { name: "Sign message" }); // enabled once the nonce is in
  await page.waitForFunction(() =>
    [...document.querySelectorAll("button")].some((b) => b.textContent === "Sign message" && !b.disabled),
  );
  await page.screenshot({ path: join(artifacts, "rainbowkit-sign-in.png") });
  const connected = await page.textContent("#rainbowkit-account");
  const callsBeforeSigning = calls.map(([, path]) => path);
  await signButton.click();
  await rainbowKitStatus("authenticated");
  const accountButton = page.getByTestId("rk-account-button");
  await accountButton.waitFor();
  await page.screenshot({ path: join(artifacts, "rainbowkit-signed-in.png") });
  const session = await page.evaluate(() => window.testAuth.session);
  const signed = await page.evaluate(() => window.testWallet.signed);
  const meWhileSignedIn = await meWith(session.accessToken);

  await accountButton.click();
  const loggedOut = page.waitForResponse((response) => response.url().endsWith("/auth/logout"));
  await page.getByRole("button", { name: "Disconnect" }).click();
  const logout = (await loggedOut).status();
  await rainbowKitStatus("unauthenticated");
  await page.getByRole("button", { name: "Connect Wallet" }).waitFor();
  await page.screenshot({ path: join(artifacts, "rainbowkit-disconnected.png") });

  const results = {
    wallet: address,
    buildSeconds,
    connected,
    callsBeforeSigning,
    nonces,
    signed,
    session: { address: session.address, chainId: session.chainId, accounts: session.accounts },
    accessToken: session.accessToken,
    meWhileSignedIn,
    logout,
    meAfterDisconnect: await meWith(session.accessToken),
    heldAfterDisconnect: await page.evaluate(() => window.testAuth.session),
    calls,
    problems,
  };
  process.stdout.write(JSON.stringify(results, null, 2) + "\n");
} finally {
  await browser.close();
  frontend.close();
}
