/**
 * @param {import("../web3-auth.js").Web3Auth} auth
 * @param {Web3AuthSiwxOptions} [options]
 * @returns {Web3AuthSiwx}
 */
export function web3AuthSiwx(auth: import("../web3-auth.js").Web3Auth, { statement, required, signOutOnDisconnect }?: Web3AuthSiwxOptions): Web3AuthSiwx;
/**
 * A CAIP-2 chain id of the EIP-155 namespace, as AppKit names networks: `eip155:1`.
 */
export type Eip155ChainId = `eip155:${string}`;
/**
 * What AppKit asks a message for (SIWXMessage.Input).
 */
export type SiwxInput = {
    /**
     * The address; '' or '<<AccountAddress>>' when AppKit does not know it yet.
     */
    accountAddress: string;
    /**
     * CAIP-2 (`eip155:8453`); '' when AppKit has no network yet.
     */
    chainId: string;
    /**
     * RFC 3339.
     */
    notBefore?: string | undefined;
};
/**
 * The message's fields (SIWXMessage.Data).
 */
export type SiwxMessageData = {
    accountAddress: string;
    chainId: Eip155ChainId;
    notBefore?: string | undefined;
    domain: string;
    uri: string;
    version: string;
    nonce: string;
    statement?: string | undefined;
    resources?: string[] | undefined;
    requestId?: string | undefined;
    issuedAt?: string | undefined;
    expirationTime?: string | undefined;
};
/**
 * A message for the wallet to sign: its fields, and `toString()` its EIP-4361 text (SIWXMessage).
 */
export type SiwxMessage = SiwxMessageData & {
    toString(): string;
};
/**
 * A signed message (SIWXSession): AppKit hands them to addSession and setSessions, and getSessions answers them.
 */
export type SiwxSession = {
    data: SiwxMessageData;
    /**
     * The text signed ('' for a session resumed from storage: what was signed is not kept).
     */
    message: string;
    signature: string;
    /**
     * With One-Click Auth, the wallet's CACAO.
     */
    cacao?: import("../web3-auth.js").Cacao | undefined;
};
/**
 * A signed message as AppKit hands it to addSession and setSessions (its SIWXSession, whatever its namespace): of its
 * fields, the account and the chain are read.
 */
export type SignedSiwx = {
    data: SiwxInput & Partial<Omit<SiwxMessageData, "chainId">>;
    /**
     * The text signed.
     */
    message: string;
    signature: string;
    cacao?: import("../web3-auth.js").Cacao | undefined;
};
/**
 * The methods of AppKit's SIWXConfig.
 */
export type Web3AuthSiwx = {
    createMessage: (input: SiwxInput) => Promise<SiwxMessage>;
    addSession: (session: SignedSiwx) => Promise<void>;
    revokeSession: (chainId: string, address: string) => Promise<void>;
    setSessions: (sessions: SignedSiwx[]) => Promise<void>;
    getSessions: (chainId: string, address: string) => Promise<SiwxSession[]>;
    getRequired: () => boolean;
    signOutOnDisconnect: boolean;
};
export type Web3AuthSiwxOptions = {
    /**
     * The statement in the message. Default: the service's (AUTH_STATEMENT).
     */
    statement?: string | undefined;
    /**
     * Whether the wallet is disconnected when the user declines to sign. Default: false.
     */
    required?: boolean | undefined;
    /**
     * Sign out when the wallet disconnects. Default: true.
     */
    signOutOnDisconnect?: boolean | undefined;
};
