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
export function rainbowKitAdapter(auth: import("../web3-auth.js").Web3Auth, account: () => {
    address?: string;
    chainId?: number;
}, { statement }?: {
    statement?: string;
}): RainbowKitAdapter;
/**
 * @param {import("../web3-auth.js").Web3Auth} auth @param {string} message @param {string} signature
 * @returns {Promise<boolean>} whether the service took the signature and message (false: refused, a 401);
 *   every other failure (unreachable, 429, 503, a malformed request) throws
 */
export function signedIn(auth: import("../web3-auth.js").Web3Auth, message: string, signature: string): Promise<boolean>;
export type RainbowKitAdapter = {
    getNonce: () => Promise<string>;
    createMessage: (args: {
        nonce: string;
        address: string;
        chainId: number;
    }) => string;
    verify: (args: {
        message: string;
        signature: string;
    }) => Promise<boolean>;
    signOut: () => Promise<void>;
};
