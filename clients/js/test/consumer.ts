// What a TypeScript app sees of the client and the adapters: checked by tsc (tests/interop/test_types.py).
// The @ts-expect-error lines must stay errors: if the types went missing (any), tsc would fail on them.
import { appKitSiweConfig } from "../adapters/appkit.js";
import { rainbowKitAdapter } from "../adapters/rainbowkit.js";
import { web3AuthSiwx, type SiwxSession } from "../adapters/siwx.js";
import type { SIWXConfig, SIWXSession } from "@reown/appkit-controllers";
import {
  authFetch,
  signIn,
  Web3Auth,
  Web3AuthError,
  type Cacao,
  type Eip1193Provider,
  type Me,
  type NonceResponse,
  type Recap,
  type Session,
} from "../web3-auth.js";

declare const wallet: Eip1193Provider;

const auth = new Web3Auth({ baseUrl: "https://auth.example.com", storage: sessionStorage, refreshLeeway: 30 });
const session: Session = await auth.signIn(wallet);
const address: string = session.address;
const chainId: number = session.chainId;
const response: Response = await auth.authFetch("https://api.example.com/orders", { method: "POST", body: "{}" });
const me: Me = await auth.me();
const accounts: string[] = me.accounts;
const recap: Recap | null = me.recap;
const issued: NonceResponse = await auth.nonce({ domain: "app.example.com" });
const chainIds: number[] = (await auth.nonce()).chain_ids;
const batch: Session = await auth.verifyAll([{ message: issued.nonce, signature: "0x" }]);
const sessionAccounts: string[] = batch.accounts;
declare const cacao: Cacao;
const iss: string = cacao.p.iss;
await auth.verifyCacaos([cacao]);
const added: Session = await auth.addAccounts([cacao]);
await auth.addAccounts([{ message: "", signature: "0x" }]);
const removed: string[] = (await auth.removeAccount("eip155:8453:0x0")).accounts;
const stop: () => void = auth.onChange((next: Session | null) => next?.expiresAt);
const shared: Session = await signIn(wallet, { baseUrl: "https://auth.example.com" });
await authFetch(new URL("https://api.example.com/orders"));

try {
  await auth.refresh();
} catch (error) {
  if (error instanceof Web3AuthError) console.log(error.status, error.code, error.detail);
}

const rainbow = rainbowKitAdapter(auth, { statement: "Welcome back." }); // the account is not needed any more
const message: string = rainbow.createMessage({ nonce: await rainbow.getNonce(), address, chainId });
const verified: boolean = await rainbow.verify({ message, signature: "0x" });
const appkit = appKitSiweConfig(auth, { chains: [1], account: () => ({ address, chainId }) });
const appkitSession: { address: string; chainId: number } | null = await appkit.getSession();
// the SIWX adapter is what AppKit's createAppKit({ siwx }) takes, and takes the sessions AppKit hands it
const siwx: SIWXConfig = web3AuthSiwx(auth, { statement: "Welcome", required: true });
const fromAppKit: SIWXSession[] = await siwx.getSessions("eip155:8453", address);
await web3AuthSiwx(auth).setSessions(fromAppKit);
const siwxSessions: SiwxSession[] = await web3AuthSiwx(auth).getSessions("eip155:1", address);
const siwxText: string = (await siwx.createMessage({ accountAddress: "", chainId: "eip155:1" })).toString();

// @ts-expect-error the chain id is a number
new Web3Auth({ chainId: "1" });
// @ts-expect-error signIn needs a provider
await auth.signIn();
// @ts-expect-error a session's chain id is a number
const wrong: string = session.chainId;
// @ts-expect-error a nonce's chain ids are numbers
const wrongChains: string[] = issued.chain_ids;
// @ts-expect-error verifyAll takes signed messages
await auth.verifyAll([{ message: "" }]);
// @ts-expect-error removeAccount takes a CAIP-10 id
await auth.removeAccount(8453);
// @ts-expect-error the SIWX adapter's options are an object
web3AuthSiwx(auth, true);
// @ts-expect-error AppKit's config needs the chains to offer
appKitSiweConfig(auth, { account: () => ({}) });

export { accounts, added, appkitSession, chainIds, iss, me, recap, removed, response, sessionAccounts, shared, stop };
export { siwxSessions, siwxText, verified, wrong, wrongChains };
