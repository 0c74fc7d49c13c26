// The README's RainbowKit and AppKit wiring (examples/*.js), run as written against a live web3-auth, the
// way each library drives it. As in a browser, the page is https://app.example.com; the examples' web3-auth,
// https://auth.example.com, is routed to the service under test.
//
//   node test/examples.mjs <base URL>      prints the facts observed, as JSON
import { register } from "node:module";
import { Wallet } from "ethers";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { appKitMessage } from "./support.mjs";

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

async function appKit() {
  const { siweConfig, auth } = await import("../examples/appkit.js");
  const wallet = Wallet.createRandom();
  globalThis.connectedAccount = { address: wallet.address, chainId: 1 };
  // AppKit's SIWE client: message params, a nonce for the address, the message, the signature, a session
  const { message } = await appKitMessage(siweConfig, wallet.address);
  const verified = await siweConfig.verifyMessage({ message, signature: await wallet.signMessage(message) });
  const session = await siweConfig.getSession();
  const signedOut = await siweConfig.signOut();
  return {
    verified,
    session: session && { address: session.address === wallet.address, chainId: session.chainId },
    signedOut,
    after: await siweConfig.getSession(),
    sessionGone: auth.session === null,
    message,
  };
}

// one after the other: both read the connected account from one global
const results = { rainbowkit: await rainbowKit(), appkit: await appKit() };
process.stdout.write(JSON.stringify(results, null, 2) + "\n");
