// Reown AppKit's own SIWX code (SIWXUtil of @reown/appkit-controllers, configured as createAppKit configures
// it) driving the web3-auth adapters against a live web3-auth: One-Click Auth through a WalletConnect wallet
// built from @walletconnect/utils (as WalletKit's wallets build their answers), the sign-message path, an
// embedded wallet's placeholder message, and the legacy @reown/appkit-siwe createSIWEConfig. As in a browser,
// the page is https://app.example.com; the README's web3-auth, https://auth.example.com, is routed to the
// service under test.
//
//   node test/appkit.mjs <base URL>      prints the facts observed, as JSON
//
// AppKit's controllers are one state per page, so the cases run one after the other.
import * as controllers from "@reown/appkit-controllers";
import { createSIWEConfig } from "@reown/appkit-siwe";
import {
  buildAuthObject,
  createEncodedRecap,
  formatMessage,
  getRecapFromResources,
  mergeEncodedRecaps,
  populateAuthPayload,
  validateSignedCacao,
} from "@walletconnect/utils";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { base as baseChain, mainnet } from "viem/chains";
import { appKitSiweConfig } from "../adapters/appkit.js";
import { web3AuthSiwx } from "../adapters/siwx.js";
import { Web3Auth } from "../web3-auth.js";

const { SIWXUtil } = controllers;
// @reown/appkit-siwe's latest, 1.8.23, pins @reown/appkit-controllers 1.8.23: beside AppKit 1.8.24 it has a copy
// of its own, with a state of its own; an app with every @reown package at 1.8.23 has one copy, this one
const siweControllers = await import(
  new URL("../node_modules/@reown/appkit-siwe/node_modules/@reown/appkit-controllers/dist/esm/exports/index.js", import.meta.url).href
);
const service = process.argv[2];
globalThis.location = new URL("https://app.example.com/");
const fetchFromNode = globalThis.fetch;
/** every request the page made to web3-auth, as "METHOD /path" */
const requests = [];
globalThis.fetch = (input, init) => {
  const url = new URL(String(input instanceof Request ? input.url : input));
  if (url.origin !== "https://auth.example.com" && url.origin !== service) return fetchFromNode(input, init);
  requests.push(`${init?.method ?? "GET"} ${url.pathname}`);
  return fetchFromNode(service + url.pathname + url.search, init);
};
// AppKit's console.error reports (a failed sign-in, say) go to stderr, not into the JSON on stdout
console.log = console.error;

const newAccount = () => privateKeyToAccount(generatePrivateKey());
const meStatus = (token) => fetch(`${service}/auth/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
const newAuth = () => new Web3Auth({ baseUrl: "https://auth.example.com" });
/** the requests made to web3-auth while `work` ran */
async function counting(work) {
  const before = requests.length;
  const value = await work();
  return { value, requests: requests.slice(before) };
}

// AppKit's networks (CaipNetwork: a viem chain with its namespace and CAIP-2 id), as createAppKit extends them
const caipNetwork = (chain) => ({ ...chain, chainNamespace: "eip155", caipNetworkId: `eip155:${chain.id}` });
const NETWORKS = [caipNetwork(mainnet), caipNetwork(baseChain)];
const METHODS = ["personal_sign", "eth_sendTransaction"];

/**
 * What createAppKit({ siwx, networks, adapters }) sets up for SIWX: the options, the EVM chain on mainnet, and
 * a connection client whose signMessage is the connected wallet's (`account`, when one is connected).
 */
function configureAppKit(siwx, account, { ChainController, ConnectionController, OptionsController } = controllers) {
  OptionsController.setSIWX(siwx);
  ChainController.initialize([{ namespace: "eip155" }], NETWORKS, { connectionControllerClient: {} });
  ChainController.setActiveCaipNetwork(NETWORKS[0]);
  ConnectionController.setClient({
    signMessage: (message) => account.signMessage({ message }),
    disconnect: async () => {},
  });
  if (account) connect(account, NETWORKS[0], ChainController);
}

/** the wallet connected on `network`, as AppKit's adapters report it */
function connect(account, network, ChainController = controllers.ChainController) {
  ChainController.setActiveCaipNetwork(network);
  ChainController.setAccountProp("address", account.address, "eip155");
  ChainController.setAccountProp("caipAddress", `${network.caipNetworkId}:${account.address}`, "eip155");
}

/**
 * A WalletConnect UniversalProvider whose wallet answers wc_sessionAuthenticate. The request is made as
 * SignClient.authenticate makes it (a ReCap of the methods, Issued At now); the wallet answers as WalletKit's
 * wallets do: populateAuthPayload to its chains and methods, then per chain formatMessage, personal_sign and
 * buildAuthObject. `signerFor(chain)` signs for a chain (the account's key, unless a test says otherwise).
 */
function walletConnectWallet(account, signerFor = () => account) {
  const seen = { requests: [], signedChains: [], messages: [] };
  return {
    seen,
    client: { formatAuthMessage: ({ request, iss }) => formatMessage(request, iss) },
    disconnect: async () => {},
    async authenticate(params) {
      seen.requests.push(params);
      // the dapp side (SignClient.authenticate)
      const resources = [...(params.resources ?? [])];
      if (params.methods?.length) {
        let recap = createEncodedRecap("eip155", "request", params.methods);
        if (getRecapFromResources(resources)) recap = mergeEncodedRecaps(recap, resources.pop());
        resources.push(recap);
      }
      const authPayload = {
        type: params.type ?? "caip122",
        chains: params.chains,
        statement: params.statement ?? "",
        aud: params.uri,
        domain: params.domain,
        version: "1",
        nonce: params.nonce,
        iat: new Date().toISOString(),
        exp: params.exp,
        nbf: params.nbf,
        resources,
      };
      // the wallet side (WalletKit's session_authenticate handler)
      const payload = populateAuthPayload({ authPayload, chains: ["eip155:1", "eip155:8453"], methods: METHODS });
      const auths = [];
      for (const chain of payload.chains) {
        const iss = `did:pkh:${chain}:${account.address}`;
        const message = formatMessage(payload, iss);
        const signature = await signerFor(chain).signMessage({ message });
        seen.signedChains.push(chain);
        seen.messages.push(message);
        auths.push(buildAuthObject(payload, { t: "eip191", s: signature }, iss));
      }
      const metadata = { name: "Test Wallet", description: "", url: "https://wallet.example", icons: [] };
      return { auths, session: { peer: { metadata } } };
    },
  };
}

const cases = {
  // One-Click Auth: AppKit asks for a message before any address is known, the wallet signs it on both chains
  async one_click() {
    const auth = newAuth();
    const account = newAccount();
    configureAppKit(web3AuthSiwx(auth));
    const wallet = walletConnectWallet(account);
    const { value: authenticated, requests: made } = await counting(() =>
      SIWXUtil.universalProviderAuthenticate({
        universalProvider: wallet,
        chains: ["eip155:1", "eip155:8453"],
        methods: METHODS,
      }),
    );
    const token = auth.session?.accessToken;
    const me = await auth.me();
    connect(account, NETWORKS[1]);
    const [onBase] = await SIWXUtil.getSessions({ caipNetworkId: "eip155:8453", address: account.address.toLowerCase() });
    const authenticatedOnBase = await SIWXUtil.isAuthenticated();
    const request = wallet.seen.requests[0];
    await SIWXUtil.clearSessions(); // what AppKit's disconnect does: setSessions([])
    return {
      authenticated,
      requests: made,
      request: { chains: request.chains, statement: request.statement, hasExpiry: Boolean(request.exp) },
      signedChains: wallet.seen.signedChains,
      accounts: me.accounts,
      expectedAccounts: [`eip155:1:${account.address}`, `eip155:8453:${account.address}`],
      recap: me.recap,
      sessionOnBase: onBase && {
        chainId: onBase.data.chainId,
        address: onBase.data.accountAddress === account.address,
        message: onBase.message === wallet.seen.messages[1],
        cacao: onBase.cacao?.p.iss === `did:pkh:eip155:8453:${account.address}`,
      },
      authenticatedOnBase,
      signedOut: auth.session === null,
      revoked: await meStatus(token),
      afterSignOut: (await SIWXUtil.getSessions({ caipNetworkId: "eip155:1", address: account.address })).length,
    };
  },

  // One-Click Auth where the wallet's signature for Base is another key's: nothing opens, the nonce stays usable
  async one_click_other_key() {
    const auth = newAuth();
    const account = newAccount();
    const other = newAccount();
    configureAppKit(web3AuthSiwx(auth));
    const wallet = walletConnectWallet(account, (chain) => (chain === "eip155:8453" ? other : account));
    let caught;
    let captured;
    const siwx = SIWXUtil.getSIWX();
    const setSessions = siwx.setSessions;
    siwx.setSessions = (sessions) => {
      captured = sessions;
      return setSessions(sessions);
    };
    try {
      await SIWXUtil.universalProviderAuthenticate({ universalProvider: wallet, chains: ["eip155:1", "eip155:8453"], methods: METHODS });
    } catch (error) {
      caught = `${error.status} ${error.code}`;
    }
    siwx.setSessions = setSessions;
    const refused = { caught, session: auth.session, walletConnectValidates: [] };
    for (const { cacao } of captured) refused.walletConnectValidates.push(await validateSignedCacao({ cacao }));
    // the same payloads (same nonce), Base signed by the right key this time
    const fixed = [];
    for (const session of captured) {
      const signature = await account.signMessage({ message: session.message });
      fixed.push({ ...session, signature, cacao: { ...session.cacao, s: { t: "eip191", s: signature } } });
    }
    await siwx.setSessions(fixed);
    const me = await auth.me();
    await auth.signOut();
    return {
      ...refused,
      sameNonce: new Set(captured.map((session) => session.cacao.p.nonce)).size === 1,
      retried: me.accounts.length,
      retriedAccounts: me.accounts.map((caip10) => caip10.split(":").slice(0, 2).join(":")),
    };
  },

  // AppKit's sign-message view: createMessage for the connected account, the wallet signs, addSession; then the
  // network switched to Base and signed again (one session, two accounts); then each chain revoked
  async sign_message() {
    const auth = newAuth();
    const account = newAccount();
    configureAppKit(web3AuthSiwx(auth), account);
    const { requests: made } = await counting(() => SIWXUtil.requestSignMessage());
    const first = auth.session && { ...auth.session };
    const [session] = await SIWXUtil.getSessions();
    connect(account, NETWORKS[1]);
    const beforeBase = await SIWXUtil.isAuthenticated();
    await SIWXUtil.requestSignMessage();
    const both = await auth.me();
    const siwx = SIWXUtil.getSIWX();
    await siwx.revokeSession("eip155:8453", account.address.toLowerCase());
    const afterRevoke = await auth.me();
    const token = auth.session?.accessToken;
    await siwx.revokeSession("eip155:1", account.address);
    return {
      requests: made,
      signedIn: first && { address: first.address === account.address, chainId: first.chainId, accounts: first.accounts.length },
      message: session?.message,
      session: session && { chainId: session.data.chainId, signature: session.signature.startsWith("0x") },
      beforeBase,
      both: both.accounts.map((caip10) => caip10.split(":").slice(0, 2).join(":")),
      bothSameSession: both.session_id === afterRevoke.session_id,
      afterRevoke: afterRevoke.accounts.map((caip10) => caip10.split(":").slice(0, 2).join(":")),
      lastRevoked: { signedOut: auth.session === null, token: await meStatus(token) },
    };
  },

  // An embedded (email/social) wallet: AppKit asks for a message for '<<AccountAddress>>', the secure frame
  // puts the address in and signs (SIWXUtil.authConnectorAuthenticate)
  async embedded_wallet() {
    const auth = newAuth();
    const account = newAccount();
    configureAppKit(web3AuthSiwx(auth));
    let placeholder;
    const authConnector = {
      async connect({ siwxMessage }) {
        placeholder = siwxMessage.serializedMessage;
        const message = placeholder.replace("<<AccountAddress>>", account.address);
        const signature = await account.signMessage({ message });
        return { address: account.address, chainId: 1, accounts: [{ type: "eoa", address: account.address }], message, signature };
      },
    };
    await SIWXUtil.authConnectorAuthenticate({ authConnector, chainId: 1, chainNamespace: "eip155" });
    const me = await auth.me();
    await auth.signOut();
    return {
      placeholderLine: placeholder.split("\n")[1],
      signedIn: me.address === account.address,
      accounts: me.accounts.length,
    };
  },

  // The legacy adapter in @reown/appkit-siwe's createSIWEConfig, which createAppKit({ siweConfig }) maps to
  // SIWX, with AppKit's controllers at 1.8.24 (the pinned @reown/appkit): signing in works; the client's own
  // signOut() asks its copy of the controllers, where no SIWX is set, and answers false
  async appkit_siwe() {
    const auth = newAuth();
    const account = newAccount();
    const siweConfig = createSIWEConfig(
      appKitSiweConfig(auth, { chains: [1, 8453], account: () => ({ address: account.address, chainId: 1 }) }),
    );
    configureAppKit(siweConfig.mapToSIWX(), account);
    await SIWXUtil.requestSignMessage();
    const token = auth.session?.accessToken;
    const session = await siweConfig.getSession();
    const sessions = await SIWXUtil.getSessions();
    const clientSignOut = await siweConfig.signOut();
    const stillIn = auth.session !== null;
    await SIWXUtil.clearSessions(); // AppKit's own disconnect
    return {
      session: session && { address: session.address === account.address, chainId: session.chainId },
      sessions: sessions.map((s) => s.data.chainId),
      clientSignOut: [clientSignOut, stillIn],
      sessionGone: auth.session === null,
      revoked: await meStatus(token),
      after: (await SIWXUtil.getSessions()).length,
    };
  },

  // The same with the controllers @reown/appkit-siwe itself imports (one copy, as with every package at 1.8.23)
  async appkit_siwe_one_copy() {
    const auth = newAuth();
    const account = newAccount();
    const siweConfig = createSIWEConfig(
      appKitSiweConfig(auth, { chains: [1, 8453], account: () => ({ address: account.address, chainId: 1 }) }),
    );
    configureAppKit(siweConfig.mapToSIWX(), account, siweControllers);
    const siwxUtil = siweControllers.SIWXUtil;
    await siwxUtil.requestSignMessage();
    const token = auth.session?.accessToken;
    const session = await siweConfig.getSession();
    const sessions = await siwxUtil.getSessions();
    const signedOut = await siweConfig.signOut();
    return {
      session: session && { address: session.address === account.address, chainId: session.chainId },
      sessions: sessions.map((s) => s.data.chainId),
      signedOut,
      sessionGone: auth.session === null,
      revoked: await meStatus(token),
      after: (await siwxUtil.getSessions()).length,
    };
  },

  // The client's batch calls under the adapter: messages (no CACAOs) handed to setSessions are one verifyAll;
  // removeAccount and addAccounts as the contract answers them; addSession after the session ended elsewhere
  async client_batches() {
    const stored = new Map();
    const storage = { getItem: (k) => stored.get(k) ?? null, setItem: (k, v) => stored.set(k, v), removeItem: (k) => stored.delete(k) };
    const auth = new Web3Auth({ baseUrl: "https://auth.example.com", storage });
    const account = newAccount();
    const siwx = web3AuthSiwx(auth);
    const outcome = (promise) => promise.then((session) => session.accounts.length, (error) => `${error.status} ${error.code}`);
    /** a message of `signer` for `chainId` around a fresh nonce, as an app would write it with viem */
    const signedFor = async (chainId, signer = account, issued) => {
      issued ??= await auth.nonce();
      const message = createSiweMessage({
        address: signer.address,
        chainId,
        domain: issued.domain,
        uri: issued.uri,
        nonce: issued.nonce,
        version: "1",
        issuedAt: new Date(issued.issued_at),
      });
      const data = { accountAddress: signer.address, chainId: `eip155:${chainId}` };
      return { data, message, signature: await signer.signMessage({ message }) };
    };
    const issued = await auth.nonce();
    const pair = [await signedFor(1, account, issued), await signedFor(8453, account, issued)];
    const { requests: made } = await counting(() => siwx.setSessions(pair));
    const accounts = auth.session.accounts.map((caip10) => caip10.split(":").slice(0, 2).join(":"));
    const lower = account.address.toLowerCase();
    const facts = {
      requests: made,
      accounts,
      removed: await outcome(auth.removeAccount(`eip155:8453:${lower}`)),
      removedAgain: await outcome(auth.removeAccount(`eip155:8453:${lower}`)),
      last: await outcome(auth.removeAccount(`eip155:1:${account.address}`)),
      otherAddress: await outcome(auth.addAccounts([await signedFor(8453, newAccount())])),
      added: await outcome(auth.addAccounts([await signedFor(8453)])),
    };
    facts.refreshed = (await auth.refresh()).accounts.length;
    facts.me = (await auth.me()).accounts.length;
    // the session ends elsewhere (its refresh token revoked by another party): addSession for a new chain
    // starts a new session rather than failing on the dead one
    await auth.removeAccount(`eip155:8453:${account.address}`);
    const refreshToken = [...stored.values()][0];
    const ended = await fetch(`${service}/auth/logout`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    await siwx.addSession(await signedFor(8453));
    facts.endedElsewhere = { logout: ended.status, accounts: (await auth.me()).accounts.map((c) => c.split(":")[1]) };
    await auth.signOut();
    return facts;
  },

  // The README's wiring (examples/appkit.js), run as written
  async readme_wiring() {
    const { auth, siwx } = await import("../examples/appkit.js");
    const account = newAccount();
    configureAppKit(siwx, account);
    await SIWXUtil.requestSignMessage();
    const [session] = await SIWXUtil.getSessions();
    const me = await auth.me();
    await SIWXUtil.clearSessions();
    return {
      message: session?.message,
      me: { address: me.address === account.address, accounts: me.accounts.length },
      signedOut: auth.session === null,
    };
  },
};

const results = {};
for (const [name, run] of Object.entries(cases)) {
  try {
    results[name] = await run();
  } catch (error) {
    results[name] = { crashed: String(error?.stack ?? error) };
  }
}
process.stdout.write(JSON.stringify(results, null, 2) + "\n");
process.exit(0); // AppKit's controllers keep timers
