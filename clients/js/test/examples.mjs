// The README's RainbowKit wiring (examples/rainbowkit.js), run as written against a live web3-auth, the
// way each library drives it. As in a browser, the page is https://app.example.com; the examples' web3-auth,
// https://auth.example.com, is routed to the service under test.
//
//   node test/examples.mjs <base URL>      prints the facts observed, as JSON
import { register } from "node:module";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

const base = process.argv[2];
register("./shims/hooks.mjs", import.meta.url);
globalThis.location = new URL("https://app.example.com/");
const fetchFromNode = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(String(input));
  return fetchFromNode(url.origin === "https://auth.example.com" ? base + url.pathname + url.search : input, init);
};

async function rainbowKit() {
  const { adapter, auth, authStatus } = await import("../examples/rainbowkit.js");
  const account = privateKeyToAccount(generatePrivateKey());
  globalThis.connectedAccount = { address: account.address, chainId: 8453 };
  const statuses = [authStatus()];
  auth.onChange(() => statuses.push(authStatus()));
  // RainbowKit's SignIn dialog: a nonce when it opens; on "Sign message", createMessage, sign, verify
  const nonce = await adapter.getNonce();
  const message = adapter.createMessage({ nonce, address: account.address, chainId: 8453 });
  const verified = await adapter.verify({ message, signature: await account.signMessage({ message }) });
  const me = await auth.me();
  await adapter.signOut();
  return { verified, statuses, me: { address: me.address === account.address, chainId: me.chain_id }, message };
}

// the AppKit wiring runs in test/appkit.mjs, under AppKit's own controllers
const results = { rainbowkit: await rainbowKit() };
process.stdout.write(JSON.stringify(results, null, 2) + "\n");
