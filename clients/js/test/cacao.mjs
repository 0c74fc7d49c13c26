// CACAOs as a wallet answers WalletConnect's one-click auth, with the real @walletconnect/utils and real viem keys:
// populateAuthPayload (when the request carries a ReCap), then per chain formatMessage(payload, iss), signMessage,
// buildAuthObject, the way WalletConnect's wallet docs do it; and validateSignedCacao, the dapp side's own check.
//
//   node test/cacao.mjs
//
// Prints one JSON object, `cases`: each a name, the CACAO, the text the wallet signed and WalletConnect's verdict;
// tests/interop/test_cacao_interop.py rebuilds the text from the CACAO alone.
import {
  buildAuthObject,
  buildRecapStatement,
  createEncodedRecap,
  formatMessage,
  populateAuthPayload,
  validateSignedCacao,
} from "@walletconnect/utils";
import { privateKeyToAccount } from "viem/accounts";

const account = privateKeyToAccount(`0x${"4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"}`);
const METHODS = ["personal_sign", "eth_sendTransaction", "eth_signTypedData_v4"];
const recap = (methods = METHODS) => createEncodedRecap("eip155", "request", methods);

const base = {
  type: "caip122",
  aud: "https://app.example.com/login",
  domain: "app.example.com",
  version: "1",
  nonce: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
  iat: "2026-12-07T20:00:00.000Z",
};
const request = (chains, fields = {}) => ({ ...base, chains, ...fields });
const MAINNET = ["eip155:1"];
const BOTH = ["eip155:1", "eip155:8453"];
const EXP = "2026-12-07T20:05:00.000Z";
const NBF = "2026-12-07T19:59:00.000Z";

const cases = {
  minimal: request(MAINNET),
  statement: request(BOTH, { statement: "Sign in to the example app." }),
  empty_statement: request(MAINNET, { statement: "" }),
  exp_nbf_request_id: request(BOTH, { statement: "Sign in.", exp: EXP, nbf: NBF, requestId: "req-42" }),
  empty_optionals: request(MAINNET, { statement: "Sign in.", exp: "", requestId: "" }),
  resources: request(MAINNET, { resources: ["https://example.com/terms", "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/"] }),
  empty_resources: request(MAINNET, { statement: "Sign in.", resources: [] }),
  recap: request(BOTH, { statement: "Sign in to the example app.", resources: [recap()] }),
  recap_no_statement: request(BOTH, { resources: [recap()] }),
  recap_everything: request(BOTH, {
    statement: "Sign in.",
    exp: EXP,
    nbf: NBF,
    requestId: "7",
    resources: ["https://example.com/terms", recap()],
  }),
  recap_many_chains: request(["eip155:10", "eip155:137", "eip155:42161"], { resources: [recap(["personal_sign"])] }),
  unicode_statement: request(MAINNET, { statement: "Connexion à l’app ✓" }),
  lower_case_address: request(MAINNET, { statement: "Sign in." }),
  // the dapp wrote the ReCap sentence itself for all three methods; the wallet supports two, so the ReCap is
  // narrowed but buildRecapStatement keeps a statement that already holds the preamble: it tells of three
  stale_statement: request(MAINNET, { statement: buildRecapStatement("Sign in.", recap()), resources: [recap()] }),
};

/** the payload the wallet signs: populateAuthPayload adds the chains to a ReCap, narrows its methods, writes its sentence */
function walletPayload(name, payload) {
  const methods = name === "stale_statement" ? METHODS.slice(0, 2) : METHODS;
  return populateAuthPayload({ authPayload: payload, chains: payload.chains, methods });
}

const out = [];
for (const [name, asked] of Object.entries(cases)) {
  const payload = walletPayload(name, asked);
  for (const chain of payload.chains) {
    const address = name === "lower_case_address" ? account.address.toLowerCase() : account.address;
    const iss = `did:pkh:${chain}:${address}`;
    const message = formatMessage(payload, iss);
    const cacao = buildAuthObject(payload, { t: "eip191", s: await account.signMessage({ message }) }, iss);
    out.push({ name: `${name} ${chain}`, cacao, message, valid: await validateSignedCacao({ cacao }) });
  }
}
// a wallet that signs formatMessage of the request as it came, ReCap sentence added by formatMessage alone
const asked = request(MAINNET, { statement: "Sign in.", resources: [recap()] });
const iss = `did:pkh:eip155:1:${account.address}`;
const message = formatMessage(asked, iss);
const cacao = buildAuthObject(asked, { t: "eip191", s: await account.signMessage({ message }) }, iss);
out.push({ name: "unpopulated eip155:1", cacao, message, valid: await validateSignedCacao({ cacao }) });

process.stdout.write(JSON.stringify({ address: account.address, cases: out }));
