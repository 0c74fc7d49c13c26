/**
 * @param {import("../web3-auth.js").Web3Auth} auth
 * @param {(() => unknown) | RainbowKitAdapterOptions} [optionsOrAccount] the options; a function in this place
 *   (the connected account, which earlier versions needed to ask for a nonce) is accepted and ignored
 * @param {RainbowKitAdapterOptions} [legacyOptions] the options, after such a function
 * @returns {RainbowKitAdapter}
 */
export function rainbowKitAdapter(auth: import("../web3-auth.js").Web3Auth, optionsOrAccount?: (() => unknown) | RainbowKitAdapterOptions, legacyOptions?: RainbowKitAdapterOptions): RainbowKitAdapter;
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
export type RainbowKitAdapterOptions = {
    /**
     * the statement in the message; default the service's (AUTH_STATEMENT)
     */
    statement?: string | undefined;
};
