// RainbowKit: the adapter for createAuthenticationAdapter (getNonce, createMessage, verify, signOut).
//
//   const adapter = createAuthenticationAdapter(rainbowKitAdapter(auth, () => getAccount(wagmiConfig)));
//
// RainbowKit asks for a nonce before it says for which account; web3-auth binds each nonce to an address,
// chain and domain, so `account` tells the connected one (wagmi's getAccount does).
import { createSiweMessage } from "viem/siwe";

/**
 * @typedef {object} RainbowKitAdapter
 * @property {() => Promise<string>} getNonce
 * @property {(args: { nonce: string, address: string, chainId: number }) => string} createMessage
 * @property {(args: { message: string, signature: string }) => Promise<boolean>} verify
 * @property {() => Promise<void>} signOut
 */

/**
 * @param {import("../web3-auth.js").Web3Auth} auth
 * @param {() => { address?: string, chainId?: number }} account the connected account
 * @param {{ statement?: string }} [options] the statement in the message
 * @returns {RainbowKitAdapter}
 */
export function rainbowKitAdapter(auth, account, { statement = "Sign in with Ethereum." } = {}) {
  /** @type {import("../web3-auth.js").Challenge | undefined} */
  let issued;
  return {
    getNonce: async () => {
      const { address, chainId } = account();
      if (!address) throw new Error("web3-auth: no connected account");
      issued = await auth.challenge({ address, chainId });
      return issued.nonce;
    },
    createMessage: ({ nonce, address, chainId }) => {
      const domain = issued?.domain ?? auth.domain ?? "";
      const uri = auth.uri ?? `https://${domain}`;
      return createSiweMessage({ domain, address: /** @type {`0x${string}`} */ (address), statement, uri, version: "1", chainId, nonce });
    },
    verify: ({ message, signature }) => signedIn(auth, message, signature),
    // RainbowKit calls it without awaiting it (on disconnect, on an account change). Signed out here at once;
    // when the service could not revoke the session it rejects (reported as unhandled), the next one retries
    signOut: () => auth.signOut(),
  };
}

/**
 * @param {import("../web3-auth.js").Web3Auth} auth @param {string} message @param {string} signature
 * @returns {Promise<boolean>} whether the service took the signature and message (false: refused, a 401);
 *   every other failure (unreachable, 429, 503, a malformed request) throws
 */
export async function signedIn(auth, message, signature) {
  try {
    await auth.verify(message, signature);
    return true;
  } catch (error) {
    if (/** @type {{ status?: number }} */ (error)?.status === 401) return false; // the service said no
    throw error;
  }
}
