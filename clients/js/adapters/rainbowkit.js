// RainbowKit: the adapter for createAuthenticationAdapter (getNonce, createMessage, verify, signOut).
//
//   const adapter = createAuthenticationAdapter(rainbowKitAdapter(auth));
//
// RainbowKit asks for a nonce when its sign-in step opens, before it says for which account: getNonce takes one
// bound to the domain only (POST /auth/nonce), and createMessage writes the EIP-4361 message around it with what
// the service answered (domain, URI, statement, Issued At, Expiration Time) and the account RainbowKit names.
import { createSiweMessage } from "viem/siwe";

/**
 * @typedef {object} RainbowKitAdapter
 * @property {() => Promise<string>} getNonce
 * @property {(args: { nonce: string, address: string, chainId: number }) => string} createMessage
 * @property {(args: { message: string, signature: string }) => Promise<boolean>} verify
 * @property {() => Promise<void>} signOut
 */

/**
 * @typedef {object} RainbowKitAdapterOptions
 * @property {string} [statement] the statement in the message; default the service's (AUTH_STATEMENT)
 */

/** how many issued nonces createMessage remembers (RainbowKit uses the last one; a remounted step asks again) */
const REMEMBERED = 8;

/**
 * @param {import("../web3-auth.js").Web3Auth} auth
 * @param {(() => unknown) | RainbowKitAdapterOptions} [optionsOrAccount] the options; a function in this place
 *   (the connected account, which earlier versions needed to ask for a nonce) is accepted and ignored
 * @param {RainbowKitAdapterOptions} [legacyOptions] the options, after such a function
 * @returns {RainbowKitAdapter}
 */
export function rainbowKitAdapter(auth, optionsOrAccount, legacyOptions) {
  const { statement } = (typeof optionsOrAccount === "function" ? legacyOptions : optionsOrAccount) ?? {};
  /** @type {Map<string, import("../web3-auth.js").NonceResponse>} */
  const issued = new Map();
  return {
    getNonce: async () => {
      const response = await auth.nonce();
      issued.set(response.nonce, response);
      if (issued.size > REMEMBERED) issued.delete(issued.keys().next().value ?? "");
      return response.nonce;
    },
    createMessage: ({ nonce, address, chainId }) => {
      const response = issued.get(nonce);
      if (!response) throw new Error("web3-auth: createMessage with a nonce getNonce did not issue");
      return createSiweMessage({
        domain: response.domain,
        address: /** @type {`0x${string}`} */ (address),
        statement: (statement ?? response.statement) || undefined, // none when empty
        uri: response.uri,
        version: "1",
        chainId,
        nonce,
        issuedAt: new Date(response.issued_at),
        expirationTime: new Date(response.expiration_time),
      });
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
