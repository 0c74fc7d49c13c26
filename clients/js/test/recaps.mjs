// EIP-5573 ReCaps as WalletConnect's one-click auth writes them, with the real @walletconnect/utils: the dapp's
// request as sign-client's authenticate() builds it (createEncodedRecap for its methods, mergeEncodedRecaps with a
// ReCap of its own), the wallet's side as its docs do it (populateAuthPayload, then formatMessage per chain).
//
//   node test/recaps.mjs
//
// Prints one JSON object: `messages` (each with the att WalletConnect encoded, as JSON text, keys in its order)
// and `collation` (names sorted by String.localeCompare); tests/interop/test_recaps_interop.py checks them.
import {
  createEncodedRecap,
  decodeRecap,
  formatMessage,
  getRecapFromResources,
  mergeEncodedRecaps,
  populateAuthPayload,
} from "@walletconnect/utils";

const ADDRESS = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const CHAINS = ["eip155:1", "eip155:8453"];
const METHODS = ["personal_sign", "eth_sendTransaction", "eth_signTypedData_v4"];

/** the request sign-client's authenticate() sends: its methods' ReCap last, merged with one the dapp brought */
function request({ statement = "Sign in to the example app.", resources = [], methods = METHODS }) {
  const list = [...resources];
  if (methods.length > 0) {
    let recap = createEncodedRecap("eip155", "request", methods);
    if (getRecapFromResources(list)) recap = mergeEncodedRecaps(recap, list.pop());
    list.push(recap);
  }
  return {
    type: "caip122",
    chains: CHAINS,
    statement,
    aud: "https://app.example.com/login",
    domain: "app.example.com",
    version: "1",
    nonce: "f3a1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4",
    iat: "2026-12-07T20:00:00.000Z",
    resources: list,
  };
}

const mergeAll = (...recaps) => recaps.reduce((merged, recap) => mergeEncodedRecaps(merged, recap));
const API = "https://api.example.com/";

const populated = (authPayload, methods = METHODS) => populateAuthPayload({ authPayload, chains: CHAINS, methods });

/** a request whose ReCap, once the wallet wrote it in Node's standard base64, holds `+` or `/` (not base64url) */
function standardAlphabetRequest() {
  for (let index = 0; ; index++) {
    const asked = request({ resources: [createEncodedRecap(`https://api.example.com/items?page=${index}`, "crud", ["read"])] });
    if (/[+/]/.test(getRecapFromResources(populated(asked).resources))) return asked;
  }
}

const cases = {
  methods: request({}),
  no_statement: request({ statement: "" }),
  merged: request({ resources: ["https://example.com/terms", createEncodedRecap(API, "crud", ["update", "read"])] }),
  standard_base64: standardAlphabetRequest(),
  // sorted by name, 'a' (of b) comes before 'z' (of a): WalletConnect's statement lists b first, the EIP's a
  interleaved: request({ resources: [mergeAll(createEncodedRecap(API, "a", ["z"]), createEncodedRecap(API, "b", ["a"]))] }),
  // three namespaces on one resource: WalletConnect turns only the first ".," of "., (2)..., (3)" into "."
  three_namespaces: request({
    resources: [
      mergeAll(createEncodedRecap(API, "a", ["x"]), createEncodedRecap(API, "b", ["y"]), createEncodedRecap(API, "c", ["z"])),
    ],
  }),
  mixed_case: request({ resources: [createEncodedRecap(API, "kv", ["Zeta", "alpha", "beta_x", "Beta-y", "beta.z", "b", "B"])] }),
  dapp_recap_only: request({ methods: [], resources: [createEncodedRecap("ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/", "ipfs", ["get"])] }),
};

const messages = [];
for (const [name, authPayload] of Object.entries(cases)) {
  // a wallet supporting one method fewer than asked for: populateAuthPayload narrows the ReCap to what it supports
  const payload = populated(authPayload, name === "methods" ? METHODS.slice(0, 2) : METHODS);
  const recap = getRecapFromResources(payload.resources);
  for (const chain of payload.chains) {
    messages.push({
      name: `${name} ${chain}`,
      message: formatMessage(payload, `did:pkh:${chain}:${ADDRESS}`),
      recap,
      att: JSON.stringify(decodeRecap(recap).att),
    });
  }
}

// names of abilities, random but the same each run, sorted as WalletConnect sorts them
let seed = 5573;
/** mulberry32: an integer below `below` */
function random(below) {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * below);
}
const CHARACTERS = "abcABC019.*_+-zZ";
const names = Array.from({ length: 600 }, () =>
  Array.from({ length: 1 + random(5) }, () => CHARACTERS[random(CHARACTERS.length)]).join(""),
);
const sorted = [...new Set(names)].sort((a, b) => a.localeCompare(b));

process.stdout.write(JSON.stringify({ messages, collation: { names: [...new Set(names)], sorted } }));
