// The README's RainbowKit wiring (examples/rainbowkit.js), run as written against a live web3-auth, the way
// RainbowKit drives it, with the real @rainbow-me/rainbowkit, @wagmi/core and viem, no stand-in: a test wallet
// (test/wallet.mjs, a viem key) connected through wagmi's injected connector signs through wagmi's signMessage,
// as RainbowKit's sign-in step does. As in a browser, the page is https://app.example.com and its global object
// is `window`; the example's web3-auth, https://auth.example.com, is routed to the service under test. (The
// AppKit wiring runs in test/appkit.mjs, under AppKit's own controllers.)
//
//   node test/examples.mjs <base URL>      prints the facts observed, as JSON
import { connect, createConfig, custom, disconnect, getAccount, injected, signMessage } from "@wagmi/core";
import { watchAccount } from "@wagmi/core";
import { base as baseChain, mainnet } from "@wagmi/core/chains";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { parseSiweMessage } from "viem/siwe";
import { testWallet } from "./wallet.mjs";

const base = process.argv[2];
globalThis.location = new URL("https://app.example.com/");
globalThis.window = globalThis; // wagmi's injected connector looks for providers only where there is a window
const calls = []; // every call to web3-auth: [path, request body, response body]
const fetchFromNode = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = new URL(String(input));
  if (url.origin !== "https://auth.example.com") return fetchFromNode(input, init);
  const response = await fetchFromNode(base + url.pathname + url.search, init);
  const answer = await response.clone().text();
  calls.push([url.pathname, init?.body ? JSON.parse(String(init.body)) : null, answer && JSON.parse(answer)]);
  return response;
};

// the app's wagmi config, on mainnet and Base; no node behind it (nothing here reads the chain), and no EIP-6963
// discovery (it needs a window's events: test/rainbowkit.mjs has it, in Chromium)
const noNode = custom({
  request: async ({ method }) => {
    throw Object.assign(new Error(`${method}: no node in this test`), { code: 4200 });
  },
});
const wagmiConfig = createConfig({
  chains: [mainnet, baseChain],
  transports: { [mainnet.id]: noNode, [baseChain.id]: noNode },
  multiInjectedProviderDiscovery: false,
  storage: null,
});

/** connect a new test wallet on `chainId` to the app's wagmi config; the connected account, as wagmi has it */
async function connectWallet(chainId) {
  const provider = testWallet(privateKeyToAccount(generatePrivateKey()), { chainId, chains: [1, 8453] });
  const connector = injected({ target: { id: "test-wallet", name: "Test Wallet", provider } });
  await connect(wagmiConfig, { connector });
  return getAccount(wagmiConfig);
}

async function rainbowKit() {
  const { adapter, auth, authStatus } = await import("../examples/rainbowkit.js");
  const statuses = [authStatus()];
  auth.onChange(() => statuses.push(authStatus()));
  // RainbowKitAuthenticationProvider: signs out when wagmi disconnects (its useAccountEffect), without waiting
  let signingOut;
  const unwatch = watchAccount(wagmiConfig, {
    onChange(account, previous) {
      if (previous.status === "connected" && account.status === "disconnected") signingOut = adapter.signOut();
    },
  });
  const before = calls.length;
  // RainbowKit's sign-in step: a nonce as it opens, asked without an account (here before any is connected);
  // on "Sign message", createMessage for the connected account, wagmi's signMessage, verify
  const nonce = await adapter.getNonce();
  const { address, chainId } = await connectWallet(8453);
  const message = adapter.createMessage({ nonce, address, chainId });
  const signature = await signMessage(wagmiConfig, { message });
  const verified = await adapter.verify({ message, signature });
  const me = await auth.me();
  const token = auth.session?.accessToken;
  await disconnect(wagmiConfig);
  const signedOutAtOnce = auth.session === null;
  await signingOut; // the session revoked
  const revoked = await fetchFromNode(`${base}/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  unwatch();
  const parsed = parseSiweMessage(message);
  return {
    verified,
    statuses,
    me: { address: me.address === address, chainId: me.chain_id, accounts: me.accounts },
    // the request bodies' keys (the one to /auth/nonce in full): the nonce was asked without an address
    calls: calls.slice(before).map(([path, body]) => [path, path === "/auth/nonce" ? body : Object.keys(body ?? {})]),
    nonce: calls[before][2],
    message,
    fields: {
      nonce: parsed.nonce === nonce,
      address: parsed.address === address,
      chainId: parsed.chainId,
      issuedAt: parsed.issuedAt?.toISOString(),
      expirationTime: parsed.expirationTime?.toISOString(),
    },
    signedOutAtOnce,
    afterDisconnect: revoked.status,
    address,
  };
}

const results = { rainbowkit: await rainbowKit() };
process.stdout.write(JSON.stringify(results, null, 2) + "\n");
