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
export function appKitSiweConfig(auth: import("../web3-auth.js").Web3Auth, { chains, account, statement }: {
    chains: number[];
    account: () => {
        address?: string;
        chainId?: number;
    };
    statement?: string;
}): AppKitSiweMethods;
/**
 * what AppKit passes to createMessage (a subset)
 */
export type SiweMessageParams = {
    /**
     * `did:pkh:eip155:<chain>:<address>` (or `eip155:<chain>:<address>`)
     */
    address: string;
    chainId: number;
    nonce: string;
    domain: string;
    uri: string;
    statement?: string | undefined;
    /**
     * Issued At, ISO 8601
     */
    iat?: string | undefined;
    /**
     * Expiration Time
     */
    exp?: string | undefined;
    /**
     * Not Before
     */
    nbf?: string | undefined;
    requestId?: string | undefined;
    resources?: string[] | undefined;
};
export type AppKitSiweMethods = {
    getMessageParams: () => Promise<{
        domain: string;
        uri: string;
        chains: number[];
        statement: string;
    }>;
    getNonce: (address?: string) => Promise<string>;
    createMessage: (args: SiweMessageParams) => string;
    verifyMessage: (args: {
        message: string;
        signature: string;
    }) => Promise<boolean>;
    getSession: () => Promise<{
        address: string;
        chainId: number;
    } | null>;
    signOut: () => Promise<boolean>;
};
