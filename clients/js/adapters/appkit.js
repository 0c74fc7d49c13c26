// Reown AppKit: the methods of createSIWEConfig (getMessageParams, getNonce, createMessage, verifyMessage,
// getSession, signOut), from @reown/appkit-siwe.
//
//   const siweConfig = createSIWEConfig(appKitSiweConfig(auth, { chains: [1], account: () => getAccount(config) }));
//
// AppKit names the address when it asks for a nonce, not the chain: `account` tells the connected chain. The
// nonce is bound to that chain, so the message names it even when AppKit passes another (its network not yet
// the wallet's): the service refuses a nonce on any other chain.
import { createSiweMessage } from "viem/siwe";
import { signedIn } from "./rainbowkit.js";

/**
 * @typedef {object} SiweMessageParams what AppKit passes to createMessage (a subset)
 * @property {string} address `did:pkh:eip155:<chain>:<address>` (or `eip155:<chain>:<address>`)
 * @property {number} chainId
 * @property {string} nonce
 * @property {string} domain
 * @property {string} uri
 * @property {string} [statement]
 * @property {string} [iat] Issued At, ISO 8601
 * @property {string} [exp] Expiration Time
 * @property {string} [nbf] Not Before
 * @property {string} [requestId]
 * @property {string[]} [resources]
 */

/**
 * @typedef {object} AppKitSiweMethods
 * @property {() => Promise<{ domain: string, uri: string, chains: number[], statement: string }>} getMessageParams
 * @property {(address?: string) => Promise<string>} getNonce
 * @property {(args: SiweMessageParams) => string} createMessage
 * @property {(args: { message: string, signature: string }) => Promise<boolean>} verifyMessage
 * @property {() => Promise<{ address: string, chainId: number } | null>} getSession
 * @property {() => Promise<boolean>} signOut
 */

/**
 * @param {import("../web3-auth.js").Web3Auth} auth
 * @param {{ chains: number[], account: () => { address?: string, chainId?: number }, statement?: string }} options
 *   the chains to offer (a subset of AUTH_CHAIN_IDS) and the connected account
 * @returns {AppKitSiweMethods}
 */
export function appKitSiweConfig(auth, { chains, account, statement = "Sign in with Ethereum." }) {
  /** @type {import("../web3-auth.js").Challenge | undefined} */
  let issued;
  return {
    getMessageParams: async () => {
      const domain = auth.domain ?? new URL(auth.baseUrl).host;
      return { domain, uri: auth.uri ?? `https://${domain}`, chains, statement };
    },
    getNonce: async (address) => {
      const connected = account();
      address ??= connected.address;
      if (!address) throw new Error("web3-auth: no connected account");
      issued = await auth.challenge({ address, chainId: connected.chainId });
      return issued.nonce;
    },
    createMessage: ({ address, chainId, nonce, domain, uri, statement, iat, exp, nbf, requestId, resources }) =>
      createSiweMessage({
        address: /** @type {`0x${string}`} */ (address.split(":").pop()),
        chainId: issued?.nonce === nonce ? issued.chain_id : chainId,
        nonce,
        domain: issued?.nonce === nonce ? issued.domain : domain,
        uri,
        statement,
        version: "1",
        issuedAt: iat ? new Date(iat) : undefined,
        expirationTime: exp ? new Date(exp) : undefined,
        notBefore: nbf ? new Date(nbf) : undefined,
        requestId,
        resources,
      }),
    verifyMessage: ({ message, signature }) => signedIn(auth, message, signature),
    getSession: async () => {
      if (!auth.session) return null;
      try {
        const me = await auth.me();
        return { address: me.address, chainId: me.chain_id };
      } catch {
        return null;
      }
    },
    signOut: () => auth.signOut().then(() => true, () => false),
  };
}
