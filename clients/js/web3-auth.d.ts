/**
 * Sign in with the module's shared client (see Web3Auth.signIn). Options, when given, replace the shared
 * client, which is signed out first (if that fails, signOut() tries again).
 * @param {Eip1193Provider} provider
 * @param {Web3AuthOptions} [options]
 * @returns {Promise<Session>}
 */
export function signIn(provider: Eip1193Provider, options?: Web3AuthOptions): Promise<Session>;
/**
 * fetch() with the shared client's access token (see Web3Auth.authFetch).
 * @param {RequestInfo | URL} input
 * @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
export function authFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
/**
 * Sign the shared client out (see Web3Auth.signOut), and the clients it replaced that could not be.
 * @returns {Promise<void>}
 */
export function signOut(): Promise<void>;
/** @returns {Session | null} the shared client's session */
export function currentSession(): Session | null;
/**
 * Any EIP-1193 provider: `window.ethereum`, a WalletConnect provider, viem's or ethers' wallets wrapped.
 * @typedef {{ request(args: { method: string, params?: unknown[] }): Promise<unknown> }} Eip1193Provider
 */
/**
 * The signed-in session, as the client holds it.
 * @typedef {object} Session
 * @property {string} address EIP-55 address of the wallet that signed in.
 * @property {number} chainId EIP-155 chain id of the signed message.
 * @property {string} accessToken JWT to send as `Authorization: Bearer <accessToken>`.
 * @property {number} expiresAt When the access token expires, in milliseconds since the epoch (client clock).
 * @property {string[]} accounts The session's accounts, CAIP-10 (`eip155:<chain>:<address>`): one per chain signed
 *   in on (several after a batch sign-in, addAccounts), the address EIP-55.
 */
/**
 * What POST /auth/nonce answers: a nonce bound to a domain only, for a message the client builds itself (before
 * the address is known: One-Click Auth, RainbowKit's getNonce). Single use, valid until `expiration_time`.
 * @typedef {object} NonceResponse
 * @property {string} nonce 40 lowercase hex digits.
 * @property {string} domain The EIP-4361 domain the message must name.
 * @property {string} uri A URI the service accepts in the message.
 * @property {string} statement The service's statement (a message may carry another, or none).
 * @property {number[]} chain_ids The chains a message may name.
 * @property {string} issued_at RFC 3339: the message's Issued At may not be earlier.
 * @property {string} expiration_time RFC 3339: the latest Expiration Time the service accepts for a message
 *   issued now.
 */
/**
 * One signed EIP-4361 message of a batch.
 * @typedef {{ message: string, signature: string }} SignedMessage
 */
/**
 * A CAIP-74 CACAO of a CAIP-122 (Sign-In with X) message, as WalletConnect's authenticate returns them and
 * Reown AppKit hands them to SIWXConfig.setSessions.
 * @typedef {object} Cacao
 * @property {{ t: "caip122" }} h The header.
 * @property {CacaoPayload} p The payload.
 * @property {{ t: "eip191" | "eip1271", s: string, m?: string }} s The signature, `s` 0x-hex.
 */
/**
 * A CACAO's payload: WalletConnect's type (AuthTypes.CacaoPayload), where `aud`, `iat` and `version` are
 * optional; the service refuses a CACAO without them.
 * @typedef {object} CacaoPayload
 * @property {string} iss `did:pkh:eip155:<chain>:<address>`
 * @property {string} domain
 * @property {string} [aud] The URI.
 * @property {string} nonce
 * @property {string} [iat] Issued At, RFC 3339.
 * @property {string} [version]
 * @property {string} [exp] Expiration Time.
 * @property {string} [nbf] Not Before.
 * @property {string} [statement]
 * @property {string} [requestId]
 * @property {string[]} [resources]
 */
/**
 * An EIP-5573 ReCap, decoded: the capabilities the user granted when signing in.
 * @typedef {{ att: Record<string, Record<string, unknown[]>>, prf?: string[] }} Recap
 */
/**
 * What GET /auth/me answers.
 * @typedef {object} Me
 * @property {string} address
 * @property {number} chain_id
 * @property {string} session_id
 * @property {string} domain
 * @property {string} expires_at
 * @property {string[]} accounts CAIP-10 ids of the session's accounts.
 * @property {Recap | null} recap The ReCap signed at sign-in, or null.
 */
/**
 * What POST /auth/accounts and DELETE /auth/accounts/{account} answer: a new access token for the session's
 * accounts (the refresh token stays as it is).
 * @typedef {object} AccountsResponse
 * @property {string} access_token
 * @property {string} token_type
 * @property {number} expires_in
 * @property {string[]} accounts
 */
/**
 * What POST /auth/challenge answers.
 * @typedef {object} Challenge
 * @property {string} message The EIP-4361 message to sign, byte for byte.
 * @property {string} nonce The single-use nonce in it; a message built elsewhere must carry it.
 * @property {string} address
 * @property {number} chain_id
 * @property {string} domain
 * @property {string} issued_at
 * @property {string} expiration_time
 */
/**
 * Where a refresh token may be kept across page loads (e.g. `sessionStorage`). One tab, one storage:
 * two tabs refreshing one token would be taken for token theft and end the session.
 * @typedef {{ getItem(key: string): string | null, setItem(key: string, value: string): void,
 *   removeItem(key: string): void }} TokenStorage
 */
/**
 * @typedef {object} Web3AuthOptions
 * @property {string} [baseUrl] Where web3-auth answers, e.g. `https://auth.example.com`. Defaults to where
 *   this module was served from when that was web3-auth's `/auth/client.js`; required otherwise (a copy of
 *   the module in an app's bundle, in Node).
 * @property {string} [domain] The EIP-4361 domain to ask for (one of AUTH_DOMAINS). Defaults to the page's
 *   host, as wallets expect; outside a browser, to the service's default.
 * @property {string} [uri] The URI in the message. Defaults to the page's origin, or the service's default.
 * @property {number} [chainId] The chain to sign in on. Defaults to the wallet's current chain.
 * @property {TokenStorage} [storage] Keep the refresh token there, to resume the session after a reload
 *   (see `resume`). Default: memory only.
 * @property {number} [refreshLeeway] Seconds before the access token expires to refresh it. Default: a
 *   quarter of its lifetime, at most 60.
 * @property {typeof fetch} [fetch] The fetch to use. Default: the global one.
 */
/** An error answer of web3-auth (`{"error": code, "detail": text}`), or a failure of the client itself. */
export class Web3AuthError extends Error {
    /**
     * @param {number} status HTTP status; 0 for failures that are not an HTTP answer.
     * @param {string} code A stable code: the service's (`invalid_signature`, `rate_limited`, ...) or the
     *   client's own (`no_account`, `not_signed_in`, `unreachable`, `bad_response`, and `superseded`: a sign-in
     *   or refresh answered after a sign-out or a newer sign-in, its session revoked rather than taken).
     * @param {string} detail
     */
    constructor(status: number, code: string, detail: string);
    status: number;
    code: string;
    detail: string;
}
export class Web3Auth {
    /** @param {Web3AuthOptions} [options] */
    constructor(options?: Web3AuthOptions);
    /** The service's base URL, without a trailing slash. */
    baseUrl: string;
    /** @type {string | undefined} */
    domain: string | undefined;
    /** @type {string | undefined} */
    uri: string | undefined;
    /** @returns {Session | null} the current session, or null when signed out */
    get session(): Session | null;
    /**
     * Call `listener` whenever the session changes (signed in, refreshed, signed out or lost).
     * @param {(session: Session | null) => void} listener
     * @returns {() => void} a function that stops the calls
     */
    onChange(listener: (session: Session | null) => void): () => void;
    /**
     * Sign in: eth_requestAccounts, POST /auth/challenge, personal_sign, POST /auth/verify.
     * @param {Eip1193Provider} provider
     * @returns {Promise<Session>}
     */
    signIn(provider: Eip1193Provider): Promise<Session>;
    /**
     * A challenge: an EIP-4361 message with a single-use nonce, bound to this address, chain and domain. A
     * message built by another library (siwe, viem) is accepted if it carries that nonce, address, chain and
     * domain. `resources` are listed in the message (EIP-4361 Resources): what the signature is for, e.g. the
     * redirect URI of the OpenID Connect client being signed in to.
     * @param {{ address: string, chainId?: number, domain?: string, uri?: string, statement?: string,
     *   resources?: string[] }} request
     * @returns {Promise<Challenge>}
     */
    challenge({ address, chainId, domain, uri, statement, resources }: {
        address: string;
        chainId?: number;
        domain?: string;
        uri?: string;
        statement?: string;
        resources?: string[];
    }): Promise<Challenge>;
    /**
     * Trade a signed message for tokens. A session this client held before is revoked (in the background; if
     * that fails, by the next signOut()). Answered after a signOut() or a newer sign-in, it rejects with
     * `superseded` and the session it opened is revoked.
     * @param {string} message the EIP-4361 message, exactly as signed
     * @param {string} signature 0x-hex
     * @returns {Promise<Session>}
     */
    verify(message: string, signature: string): Promise<Session>;
    /**
     * A nonce bound to a domain only (POST /auth/nonce), for a message built here before the address is known
     * (One-Click Auth, RainbowKit's getNonce); verify it with verify(), or verifyAll() for several chains.
     * @param {{ domain?: string }} [request] the domain (one of AUTH_DOMAINS); default this client's
     * @returns {Promise<NonceResponse>}
     */
    nonce({ domain }?: {
        domain?: string;
    }): Promise<NonceResponse>;
    /**
     * Sign in on several chains at once: messages of one address and one nonce, one per chain, each signed. One
     * session holds all the accounts; a refused message opens nothing (and leaves the nonce usable). Like
     * verify() in all else.
     * @param {SignedMessage[]} entries 1 to 16
     * @returns {Promise<Session>}
     */
    verifyAll(entries: SignedMessage[]): Promise<Session>;
    /**
     * Sign in with the CACAOs a wallet answered WalletConnect's authenticate with (One-Click Auth): one session
     * for all their accounts. Like verifyAll() otherwise.
     * @param {Cacao[]} cacaos 1 to 16
     * @returns {Promise<Session>}
     */
    verifyCacaos(cacaos: Cacao[]): Promise<Session>;
    /**
     * Add chains to the session (POST /auth/accounts): messages (or CACAOs) of the session's address, with a fresh
     * nonce. The session's access token is replaced by one naming all its accounts.
     * @param {SignedMessage[] | Cacao[]} entriesOrCacaos
     * @returns {Promise<Session>}
     */
    addAccounts(entriesOrCacaos: SignedMessage[] | Cacao[]): Promise<Session>;
    /**
     * Remove one chain from the session (DELETE /auth/accounts/{account}). The session's only account cannot be:
     * that is a 400 `last_account` (sign out instead).
     * @param {string} account CAIP-10 (`eip155:8453:0x...`), the address in upper or lower case
     * @returns {Promise<Session>}
     */
    removeAccount(account: string): Promise<Session>;
    /**
     * New tokens for the refresh token (which is rotated). Concurrent calls share one request: presenting a
     * rotated refresh token again would end the session.
     * @returns {Promise<Session>}
     */
    refresh(): Promise<Session>;
    /**
     * Resume a session from `storage` after a page load: a refresh with the stored refresh token.
     * @returns {Promise<Session | null>} the session, or null when there was none or it has ended
     */
    resume(): Promise<Session | null>;
    /**
     * fetch() with `Authorization: Bearer <access token>`; on a 401, one refresh and one retry. Signed out,
     * it throws `not_signed_in`. A body given as a stream cannot be sent twice: pass a Request, a string or
     * a Blob when the call may be retried.
     * @param {RequestInfo | URL} input
     * @param {RequestInit} [init]
     * @returns {Promise<Response>}
     */
    authFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
    /**
     * GET /auth/me: who the access token says the bearer is, with the session's accounts and ReCap.
     * @returns {Promise<Me>}
     */
    me(): Promise<Me>;
    /**
     * Sign out: the session is forgotten here at once (sign-ins and refreshes under way included) and revoked
     * by the service (POST /auth/logout), its tokens refused everywhere from then on. When the service could
     * not revoke it (unreachable, 503, 429), this rejects and the next signOut() tries again.
     * @returns {Promise<void>}
     */
    signOut(): Promise<void>;
    #private;
}
export type TokenBody = {
    access_token: string;
    expires_in: number;
    refresh_token: string;
    address: string;
    chain_id: number;
    accounts?: string[] | undefined;
};
/**
 * Any EIP-1193 provider: `window.ethereum`, a WalletConnect provider, viem's or ethers' wallets wrapped.
 */
export type Eip1193Provider = {
    request(args: {
        method: string;
        params?: unknown[];
    }): Promise<unknown>;
};
/**
 * The signed-in session, as the client holds it.
 */
export type Session = {
    /**
     * EIP-55 address of the wallet that signed in.
     */
    address: string;
    /**
     * EIP-155 chain id of the signed message.
     */
    chainId: number;
    /**
     * JWT to send as `Authorization: Bearer <accessToken>`.
     */
    accessToken: string;
    /**
     * When the access token expires, in milliseconds since the epoch (client clock).
     */
    expiresAt: number;
    /**
     * The session's accounts, CAIP-10 (`eip155:<chain>:<address>`): one per chain signed
     * in on (several after a batch sign-in, addAccounts), the address EIP-55.
     */
    accounts: string[];
};
/**
 * What POST /auth/nonce answers: a nonce bound to a domain only, for a message the client builds itself (before
 * the address is known: One-Click Auth, RainbowKit's getNonce). Single use, valid until `expiration_time`.
 */
export type NonceResponse = {
    /**
     * 40 lowercase hex digits.
     */
    nonce: string;
    /**
     * The EIP-4361 domain the message must name.
     */
    domain: string;
    /**
     * A URI the service accepts in the message.
     */
    uri: string;
    /**
     * The service's statement (a message may carry another, or none).
     */
    statement: string;
    /**
     * The chains a message may name.
     */
    chain_ids: number[];
    /**
     * RFC 3339: the message's Issued At may not be earlier.
     */
    issued_at: string;
    /**
     * RFC 3339: the latest Expiration Time the service accepts for a message
     * issued now.
     */
    expiration_time: string;
};
/**
 * One signed EIP-4361 message of a batch.
 */
export type SignedMessage = {
    message: string;
    signature: string;
};
/**
 * A CAIP-74 CACAO of a CAIP-122 (Sign-In with X) message, as WalletConnect's authenticate returns them and
 * Reown AppKit hands them to SIWXConfig.setSessions.
 */
export type Cacao = {
    /**
     * The header.
     */
    h: {
        t: "caip122";
    };
    /**
     * The payload.
     */
    p: CacaoPayload;
    /**
     * The signature, `s` 0x-hex.
     */
    s: {
        t: "eip191" | "eip1271";
        s: string;
        m?: string;
    };
};
/**
 * A CACAO's payload: WalletConnect's type (AuthTypes.CacaoPayload), where `aud`, `iat` and `version` are
 * optional; the service refuses a CACAO without them.
 */
export type CacaoPayload = {
    /**
     * `did:pkh:eip155:<chain>:<address>`
     */
    iss: string;
    domain: string;
    /**
     * The URI.
     */
    aud?: string | undefined;
    nonce: string;
    /**
     * Issued At, RFC 3339.
     */
    iat?: string | undefined;
    version?: string | undefined;
    /**
     * Expiration Time.
     */
    exp?: string | undefined;
    /**
     * Not Before.
     */
    nbf?: string | undefined;
    statement?: string | undefined;
    requestId?: string | undefined;
    resources?: string[] | undefined;
};
/**
 * An EIP-5573 ReCap, decoded: the capabilities the user granted when signing in.
 */
export type Recap = {
    att: Record<string, Record<string, unknown[]>>;
    prf?: string[];
};
/**
 * What GET /auth/me answers.
 */
export type Me = {
    address: string;
    chain_id: number;
    session_id: string;
    domain: string;
    expires_at: string;
    /**
     * CAIP-10 ids of the session's accounts.
     */
    accounts: string[];
    /**
     * The ReCap signed at sign-in, or null.
     */
    recap: Recap | null;
};
/**
 * What POST /auth/accounts and DELETE /auth/accounts/{account} answer: a new access token for the session's
 * accounts (the refresh token stays as it is).
 */
export type AccountsResponse = {
    access_token: string;
    token_type: string;
    expires_in: number;
    accounts: string[];
};
/**
 * What POST /auth/challenge answers.
 */
export type Challenge = {
    /**
     * The EIP-4361 message to sign, byte for byte.
     */
    message: string;
    /**
     * The single-use nonce in it; a message built elsewhere must carry it.
     */
    nonce: string;
    address: string;
    chain_id: number;
    domain: string;
    issued_at: string;
    expiration_time: string;
};
/**
 * Where a refresh token may be kept across page loads (e.g. `sessionStorage`). One tab, one storage:
 * two tabs refreshing one token would be taken for token theft and end the session.
 */
export type TokenStorage = {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
    removeItem(key: string): void;
};
export type Web3AuthOptions = {
    /**
     * Where web3-auth answers, e.g. `https://auth.example.com`. Defaults to where
     * this module was served from when that was web3-auth's `/auth/client.js`; required otherwise (a copy of
     * the module in an app's bundle, in Node).
     */
    baseUrl?: string | undefined;
    /**
     * The EIP-4361 domain to ask for (one of AUTH_DOMAINS). Defaults to the page's
     * host, as wallets expect; outside a browser, to the service's default.
     */
    domain?: string | undefined;
    /**
     * The URI in the message. Defaults to the page's origin, or the service's default.
     */
    uri?: string | undefined;
    /**
     * The chain to sign in on. Defaults to the wallet's current chain.
     */
    chainId?: number | undefined;
    /**
     * Keep the refresh token there, to resume the session after a reload
     * (see `resume`). Default: memory only.
     */
    storage?: TokenStorage | undefined;
    /**
     * Seconds before the access token expires to refresh it. Default: a
     * quarter of its lifetime, at most 60.
     */
    refreshLeeway?: number | undefined;
    /**
     * The fetch to use. Default: the global one.
     */
    fetch?: typeof fetch | undefined;
};
