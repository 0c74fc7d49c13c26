// web3-auth browser client: Sign-In with Ethereum (EIP-4361) with any EIP-1193 wallet, against a web3-auth
// service. No dependencies, no build step: an ES module, served by the service at /auth/client.js.
//
//   import { signIn, authFetch, signOut } from "https://auth.example.com/auth/client.js";
//   const { address, chainId, accessToken } = await signIn(window.ethereum);
//   const orders = await authFetch("https://api.example.com/orders");
//   await signOut();
//
// Tokens live in memory only (unless `storage` is given); the access token is refreshed shortly before it
// expires, and authFetch refreshes and retries once when an API answers 401.

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
  constructor(status, code, detail) {
    super(`${code}: ${detail}`);
    this.name = "Web3AuthError";
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

const CLIENT_PATH = "/auth/client.js";
const RETRY_REFRESH_MS = 10_000; // after a refresh that failed for a reason other than a refused token

/** @returns {string | undefined} the base URL of the web3-auth that served this module, if one did */
function servedFrom() {
  const url = new URL(import.meta.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  // anywhere else (an app's bundle, a CDN), the module's origin is not web3-auth's
  if (!url.pathname.endsWith(CLIENT_PATH)) return undefined;
  return url.origin + url.pathname.slice(0, -CLIENT_PATH.length);
}

/** @param {string} text @returns {string} 0x-hex of its UTF-8 bytes, the form every wallet's personal_sign takes */
function utf8Hex(text) {
  return "0x" + Array.from(new TextEncoder().encode(text), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * @typedef {object} TokenBody
 * @property {string} access_token
 * @property {number} expires_in
 * @property {string} refresh_token
 * @property {string} address
 * @property {number} chain_id
 * @property {string[]} [accounts]
 */

/** @param {unknown} body @returns {TokenBody} the body, if it is web3-auth's answer with tokens */
function tokenBody(body) {
  const tokens = /** @type {Partial<TokenBody> | null} */ (body);
  const valid =
    typeof tokens?.access_token === "string" &&
    typeof tokens.refresh_token === "string" &&
    typeof tokens.expires_in === "number" &&
    typeof tokens.address === "string" &&
    typeof tokens.chain_id === "number";
  if (!valid) throw new Web3AuthError(0, "bad_response", "the token response is not web3-auth's");
  return /** @type {TokenBody} */ (tokens);
}

/** @param {unknown} body @returns {AccountsResponse} the body, if it is web3-auth's answer with accounts */
function accountsBody(body) {
  const answer = /** @type {Partial<AccountsResponse> | null} */ (body);
  const valid =
    typeof answer?.access_token === "string" &&
    typeof answer.expires_in === "number" &&
    Array.isArray(answer.accounts) &&
    answer.accounts.every((account) => typeof account === "string");
  if (!valid) throw new Web3AuthError(0, "bad_response", "the accounts response is not web3-auth's");
  return /** @type {AccountsResponse} */ (answer);
}

/** @param {SignedMessage | Cacao} entry @returns {entry is Cacao} */
function isCacao(entry) {
  return typeof (/** @type {Partial<Cacao>} */ (entry).p) === "object";
}

/** @param {SignedMessage[] | Cacao[]} batch @returns {{ messages: SignedMessage[] } | { cacaos: Cacao[] }} */
function batchBody(batch) {
  if (!Array.isArray(batch) || batch.length === 0) {
    throw new TypeError("web3-auth: a batch is a non-empty array of signed messages or of CACAOs");
  }
  if (batch.every(isCacao)) return { cacaos: /** @type {Cacao[]} */ (batch) };
  if (batch.some(isCacao)) throw new TypeError("web3-auth: a batch is either signed messages or CACAOs, not both");
  return { messages: batch.map(({ message, signature }) => ({ message, signature })) };
}

export class Web3Auth {
  /** @type {Session | null} */ #session = null;
  /** @type {string | null} */ #refreshToken = null;
  /** @type {Promise<Session> | null} */ #refreshing = null;
  /** Counts the sessions held here that were replaced or ended: a refresh begun before is answered too late. */
  #generation = 0;
  /** Sign-ins begun; those numbered up to `#settled` may not bring a session (a newer one did, or a sign-out). */
  #signIns = 0;
  #settled = 0;
  /**
   * Refresh tokens of sessions ended here that the service has not yet confirmed revoked (with the revocation
   * under way, if one is): a failed revocation is tried again by the next signOut().
   * @type {Map<string, Promise<void> | null>}
   */
  #unrevoked = new Map();
  /** @type {Set<Promise<unknown>>} refreshes and sign-ins under way, whose answers may bring tokens to revoke */
  #underway = new Set();
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #timer;
  /** @type {Set<(session: Session | null) => void>} */ #listeners = new Set();
  /** @type {typeof fetch} */ #fetch;
  /** @type {TokenStorage | undefined} */ #storage;
  /** @type {number | undefined} */ #leeway;
  /** @type {number | undefined} */ #chainId;

  /** @param {Web3AuthOptions} [options] */
  constructor(options = {}) {
    const baseUrl = options.baseUrl ?? servedFrom();
    if (!baseUrl) {
      throw new TypeError("web3-auth: options.baseUrl is required (this module was not loaded from web3-auth's /auth/client.js)");
    }
    /** The service's base URL, without a trailing slash. */
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    const page = globalThis.location;
    /** @type {string | undefined} */
    this.domain = options.domain ?? page?.host;
    /** @type {string | undefined} */
    this.uri = options.uri ?? page?.origin;
    this.#chainId = options.chainId;
    this.#storage = options.storage;
    this.#leeway = options.refreshLeeway;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** @returns {Session | null} the current session, or null when signed out */
  get session() {
    return this.#session;
  }

  /**
   * Call `listener` whenever the session changes (signed in, refreshed, signed out or lost).
   * @param {(session: Session | null) => void} listener
   * @returns {() => void} a function that stops the calls
   */
  onChange(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Sign in: eth_requestAccounts, POST /auth/challenge, personal_sign, POST /auth/verify.
   * @param {Eip1193Provider} provider
   * @returns {Promise<Session>}
   */
  async signIn(provider) {
    const attempt = ++this.#signIns; // a signOut() from here on cancels it
    const accounts = /** @type {string[]} */ (await provider.request({ method: "eth_requestAccounts" }));
    const address = accounts?.[0];
    if (!address) throw new Web3AuthError(0, "no_account", "the wallet shared no account");
    const chainId = this.#chainId ?? Number(await provider.request({ method: "eth_chainId" }));
    const challenge = await this.challenge({ address, chainId });
    const signature = /** @type {string} */ (
      await provider.request({ method: "personal_sign", params: [utf8Hex(challenge.message), address] })
    );
    return this.#verify({ message: challenge.message, signature }, attempt);
  }

  /**
   * A challenge: an EIP-4361 message with a single-use nonce, bound to this address, chain and domain. A
   * message built by another library (siwe, viem) is accepted if it carries that nonce, address, chain and
   * domain. `resources` are listed in the message (EIP-4361 Resources): what the signature is for, e.g. the
   * redirect URI of the OpenID Connect client being signed in to.
   * @param {{ address: string, chainId?: number, domain?: string, uri?: string, statement?: string,
   *   resources?: string[] }} request
   * @returns {Promise<Challenge>}
   */
  async challenge({ address, chainId, domain = this.domain, uri = this.uri, statement, resources }) {
    return /** @type {Promise<Challenge>} */ (
      this.#post("/auth/challenge", { address, chain_id: chainId, domain, uri, statement, resources })
    );
  }

  /**
   * Trade a signed message for tokens. A session this client held before is revoked (in the background; if
   * that fails, by the next signOut()). Answered after a signOut() or a newer sign-in, it rejects with
   * `superseded` and the session it opened is revoked.
   * @param {string} message the EIP-4361 message, exactly as signed
   * @param {string} signature 0x-hex
   * @returns {Promise<Session>}
   */
  verify(message, signature) {
    return this.#verify({ message, signature }, ++this.#signIns);
  }

  /**
   * A nonce bound to a domain only (POST /auth/nonce), for a message built here before the address is known
   * (One-Click Auth, RainbowKit's getNonce); verify it with verify(), or verifyAll() for several chains.
   * @param {{ domain?: string }} [request] the domain (one of AUTH_DOMAINS); default this client's
   * @returns {Promise<NonceResponse>}
   */
  async nonce({ domain = this.domain } = {}) {
    return /** @type {Promise<NonceResponse>} */ (this.#post("/auth/nonce", { domain }));
  }

  /**
   * Sign in on several chains at once: messages of one address and one nonce, one per chain, each signed. One
   * session holds all the accounts; a refused message opens nothing (and leaves the nonce usable). Like
   * verify() in all else.
   * @param {SignedMessage[]} entries 1 to 16
   * @returns {Promise<Session>}
   */
  async verifyAll(entries) {
    const body = batchBody(entries);
    if (!("messages" in body)) throw new TypeError("web3-auth: verifyAll takes signed messages; CACAOs: verifyCacaos");
    return this.#verify(body, ++this.#signIns);
  }

  /**
   * Sign in with the CACAOs a wallet answered WalletConnect's authenticate with (One-Click Auth): one session
   * for all their accounts. Like verifyAll() otherwise.
   * @param {Cacao[]} cacaos 1 to 16
   * @returns {Promise<Session>}
   */
  async verifyCacaos(cacaos) {
    const body = batchBody(cacaos);
    if (!("cacaos" in body)) throw new TypeError("web3-auth: verifyCacaos takes CACAOs; signed messages: verifyAll");
    return this.#verify(body, ++this.#signIns);
  }

  /**
   * Add chains to the session (POST /auth/accounts): messages (or CACAOs) of the session's address, with a fresh
   * nonce. The session's access token is replaced by one naming all its accounts.
   * @param {SignedMessage[] | Cacao[]} entriesOrCacaos
   * @returns {Promise<Session>}
   */
  async addAccounts(entriesOrCacaos) {
    const body = JSON.stringify(batchBody(entriesOrCacaos));
    return this.#changeAccounts("/auth/accounts", { method: "POST", headers: { "content-type": "application/json" }, body });
  }

  /**
   * Remove one chain from the session (DELETE /auth/accounts/{account}). The session's only account cannot be:
   * that is a 400 `last_account` (sign out instead).
   * @param {string} account CAIP-10 (`eip155:8453:0x...`), the address in upper or lower case
   * @returns {Promise<Session>}
   */
  async removeAccount(account) {
    return this.#changeAccounts(`/auth/accounts/${encodeURIComponent(account)}`, { method: "DELETE" });
  }

  /** @param {string} path @param {RequestInit} init @returns {Promise<Session>} */
  async #changeAccounts(path, init) {
    const generation = this.#generation;
    const body = accountsBody(await this.#read(await this.authFetch(this.baseUrl + path, init)));
    if (generation !== this.#generation || !this.#session) {
      throw new Web3AuthError(0, "superseded", "signed out, or signed in again, before the accounts were changed");
    }
    const session = { ...(/** @type {Session} */ (this.#session)), accounts: body.accounts };
    return this.#hold(session, body.access_token, body.expires_in);
  }

  /**
   * @param {{ message: string, signature: string } | { messages: SignedMessage[] } | { cacaos: Cacao[] }} proof
   * @param {number} attempt
   * @returns {Promise<Session>}
   */
  #verify(proof, attempt) {
    return this.#track(async () => {
      const body = tokenBody(await this.#post("/auth/verify", proof));
      if (attempt <= this.#settled) {
        this.#unrevoked.set(body.refresh_token, null);
        this.#revokeEnded().catch(() => {}); // kept for the next signOut() if it fails
        throw new Web3AuthError(0, "superseded", "signed out, or signed in again, before this sign-in was answered");
      }
      this.#settled = attempt;
      this.#retire();
      const session = this.#accept(body);
      this.#revokeEnded().catch(() => {}); // the session replaced; kept for the next signOut() if it fails
      return session;
    });
  }

  /**
   * New tokens for the refresh token (which is rotated). Concurrent calls share one request: presenting a
   * rotated refresh token again would end the session.
   * @returns {Promise<Session>}
   */
  refresh() {
    if (!this.#refreshing) {
      const refreshing = this.#track(() => this.#refresh()).finally(() => {
        if (this.#refreshing === refreshing) this.#refreshing = null;
      });
      this.#refreshing = refreshing;
    }
    return this.#refreshing;
  }

  /**
   * Resume a session from `storage` after a page load: a refresh with the stored refresh token.
   * @returns {Promise<Session | null>} the session, or null when there was none or it has ended
   */
  async resume() {
    if (this.#session) return this.#session;
    this.#refreshToken ??= this.#storage?.getItem(this.#storageKey()) ?? null;
    if (!this.#refreshToken) return null;
    try {
      return await this.refresh();
    } catch (error) {
      if (error instanceof Web3AuthError && error.status === 401) return null;
      if (error instanceof Web3AuthError && error.code === "superseded") return this.#session; // signed out or in meanwhile
      throw error;
    }
  }

  /**
   * fetch() with `Authorization: Bearer <access token>`; on a 401, one refresh and one retry. Signed out,
   * it throws `not_signed_in`. A body given as a stream cannot be sent twice: pass a Request, a string or
   * a Blob when the call may be retried.
   * @param {RequestInfo | URL} input
   * @param {RequestInit} [init]
   * @returns {Promise<Response>}
   */
  async authFetch(input, init = {}) {
    let session = this.#session;
    if (!session) throw new Web3AuthError(0, "not_signed_in", "sign in first");
    if (Date.now() >= session.expiresAt) session = await this.refresh();
    const retry = input instanceof Request ? input.clone() : input;
    const response = await this.#fetch(input, this.#withToken(input, init, session.accessToken));
    if (response.status !== 401) return response;
    try {
      // a concurrent call may have refreshed already: then the new token is simply tried
      session = this.#session?.accessToken === session.accessToken ? await this.refresh() : this.#session;
    } catch {
      return response;
    }
    return session ? this.#fetch(retry, this.#withToken(retry, init, session.accessToken)) : response;
  }

  /**
   * GET /auth/me: who the access token says the bearer is, with the session's accounts and ReCap.
   * @returns {Promise<Me>}
   */
  async me() {
    const response = await this.authFetch(this.baseUrl + "/auth/me");
    return /** @type {any} */ (await this.#read(response));
  }

  /**
   * Sign out: the session is forgotten here at once (sign-ins and refreshes under way included) and revoked
   * by the service (POST /auth/logout), its tokens refused everywhere from then on. When the service could
   * not revoke it (unreachable, 503, 429), this rejects and the next signOut() tries again.
   * @returns {Promise<void>}
   */
  async signOut() {
    this.#settled = this.#signIns; // a sign-in under way will not bring a session back
    this.#retire();
    this.#clear();
    await this.#revokeEnded();
  }

  /** The session held here is replaced or ends: its refresh token is kept until the service revokes it. */
  #retire() {
    this.#generation++; // a refresh under way is now too late
    this.#refreshing = null;
    if (this.#refreshToken) this.#unrevoked.set(this.#refreshToken, null);
    this.#refreshToken = null;
  }

  /**
   * Revoke the sessions ended here, once the refreshes and sign-ins under way are answered (a refresh rotates
   * the token; an unwanted sign-in brings one). Rejects with the first failure; what failed is kept.
   * @returns {Promise<void>}
   */
  async #revokeEnded() {
    await Promise.allSettled(this.#underway);
    await Promise.all(Array.from(this.#unrevoked.keys(), (token) => this.#revoke(token)));
  }

  /** @param {string} refreshToken @returns {Promise<void>} shared by every caller while under way */
  #revoke(refreshToken) {
    let revoking = this.#unrevoked.get(refreshToken);
    if (!revoking) {
      revoking = this.#post("/auth/logout", { refresh_token: refreshToken }).then(
        () => void this.#unrevoked.delete(refreshToken),
        (error) => {
          // a 401: the session had already ended (expired, revoked, or a reused token revoked it)
          if (error instanceof Web3AuthError && error.status === 401) return void this.#unrevoked.delete(refreshToken);
          if (this.#unrevoked.has(refreshToken)) this.#unrevoked.set(refreshToken, null); // for the next try
          throw error;
        },
      );
      this.#unrevoked.set(refreshToken, revoking);
    }
    return revoking;
  }

  /**
   * @template T
   * @param {() => Promise<T>} work a refresh or a sign-in, which signOut() waits for
   * @returns {Promise<T>}
   */
  #track(work) {
    const promise = work();
    const done = () => void this.#underway.delete(promise);
    this.#underway.add(promise);
    promise.then(done, done);
    return promise;
  }

  async #refresh() {
    const refreshToken = this.#refreshToken;
    const generation = this.#generation;
    if (!refreshToken) throw new Web3AuthError(0, "not_signed_in", "no session to refresh");
    /** @type {TokenBody} */
    let body;
    try {
      body = tokenBody(await this.#post("/auth/refresh", { refresh_token: refreshToken }));
    } catch (error) {
      const refused = error instanceof Web3AuthError && error.status === 401; // expired, revoked or reused
      if (generation !== this.#generation) {
        if (refused) this.#unrevoked.delete(refreshToken); // over already: nothing to revoke
      } else if (refused) {
        this.#forget();
      } else {
        this.#schedule(RETRY_REFRESH_MS);
      }
      throw error;
    }
    if (generation !== this.#generation) {
      // signed out or in again meanwhile: the rotated token is revoked (by whoever ended the session), not kept
      this.#unrevoked.delete(refreshToken);
      this.#unrevoked.set(body.refresh_token, null);
      throw new Web3AuthError(0, "superseded", "signed out, or signed in again, before this refresh was answered");
    }
    return this.#accept(body);
  }

  /** @param {TokenBody} body @returns {Session} */
  #accept(body) {
    this.#refreshToken = body.refresh_token;
    this.#storage?.setItem(this.#storageKey(), body.refresh_token);
    const session = {
      address: body.address,
      chainId: body.chain_id,
      accessToken: body.access_token,
      expiresAt: 0,
      accounts: body.accounts ?? [`eip155:${body.chain_id}:${body.address}`],
    };
    return this.#hold(session, body.access_token, body.expires_in);
  }

  /** @param {Session} session @param {string} accessToken @param {number} expiresIn seconds @returns {Session} */
  #hold(session, accessToken, expiresIn) {
    const held = { ...session, accessToken, expiresAt: Date.now() + expiresIn * 1000 };
    this.#session = held;
    const leeway = this.#leeway ?? Math.min(60, expiresIn / 4);
    this.#schedule((expiresIn - leeway) * 1000);
    this.#emit();
    return held;
  }

  /** @param {number} delayMs */
  #schedule(delayMs) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.refresh().catch(() => {}), Math.max(0, delayMs));
    // @ts-ignore - in Node, do not keep the process alive for a refresh
    this.#timer?.unref?.();
  }

  /** The session is over at the service already (a refresh was refused): nothing to revoke. */
  #forget() {
    this.#generation++;
    this.#refreshToken = null;
    this.#clear();
  }

  /** No session here any more (the refresh token, if one is left, is the caller's business). */
  #clear() {
    clearTimeout(this.#timer);
    const hadSession = this.#session !== null;
    this.#session = null;
    this.#storage?.removeItem(this.#storageKey());
    if (hadSession) this.#emit();
  }

  #emit() {
    for (const listener of this.#listeners) {
      try {
        listener(this.#session);
      } catch (error) {
        queueMicrotask(() => {
          throw error; // the listener's bug, reported as uncaught; the client's own work goes on
        });
      }
    }
  }

  #storageKey() {
    return `web3-auth:${this.baseUrl}`;
  }

  /** @param {RequestInfo | URL} input @param {RequestInit} init @param {string} token @returns {RequestInit} */
  #withToken(input, init, token) {
    // headers in `init` replace a Request's own: start from those of the Request when init has none
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set("authorization", `Bearer ${token}`);
    return { ...init, headers };
  }

  /** @param {string} path @param {Record<string, unknown>} body @returns {Promise<unknown>} */
  async #post(path, body) {
    /** @type {Response} */
    let response;
    try {
      response = await this.#fetch(this.baseUrl + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body), // undefined members are left out
      });
    } catch (error) {
      throw new Web3AuthError(0, "unreachable", `no answer from ${this.baseUrl}: ${String(error)}`);
    }
    return this.#read(response);
  }

  /** @param {Response} response @returns {Promise<unknown>} the JSON body of a success; else throws */
  async #read(response) {
    if (response.status === 204) return null;
    /** @type {string} */
    let text;
    try {
      text = await response.text();
    } catch (error) {
      // the body broke off after its headers (a connection reset): no answer, in the client's own terms
      throw new Web3AuthError(0, "unreachable", `${this.baseUrl}: the answer broke off: ${String(error)}`);
    }
    /** @type {any} */
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Web3AuthError(response.status, "bad_response", `HTTP ${response.status}, not JSON`);
    }
    if (response.ok) return body;
    if (typeof body?.error === "string") throw new Web3AuthError(response.status, body.error, String(body.detail));
    throw new Web3AuthError(response.status, "bad_response", `HTTP ${response.status}`);
  }
}

/** @type {Web3Auth | undefined} */
let shared;
/** @type {Set<Web3Auth>} shared clients replaced by signIn(provider, options) whose sign-out failed */
const replaced = new Set();

/**
 * Sign in with the module's shared client (see Web3Auth.signIn). Options, when given, replace the shared
 * client, which is signed out first (if that fails, signOut() tries again).
 * @param {Eip1193Provider} provider
 * @param {Web3AuthOptions} [options]
 * @returns {Promise<Session>}
 */
export async function signIn(provider, options) {
  if (options || !shared) {
    const next = new Web3Auth(options);
    if (shared) signOutReplaced(shared).catch(() => {}); // kept for signOut() to try again
    shared = next;
  }
  return shared.signIn(provider);
}

/** @param {Web3Auth} client @returns {Promise<void>} */
function signOutReplaced(client) {
  replaced.add(client);
  return client.signOut().then(() => void replaced.delete(client));
}

/**
 * fetch() with the shared client's access token (see Web3Auth.authFetch).
 * @param {RequestInfo | URL} input
 * @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
export function authFetch(input, init) {
  if (!shared) return Promise.reject(new Web3AuthError(0, "not_signed_in", "sign in first"));
  return shared.authFetch(input, init);
}

/**
 * Sign the shared client out (see Web3Auth.signOut), and the clients it replaced that could not be.
 * @returns {Promise<void>}
 */
export async function signOut() {
  await Promise.all([shared?.signOut(), ...Array.from(replaced, signOutReplaced)]);
}

/** @returns {Session | null} the shared client's session */
export function currentSession() {
  return shared?.session ?? null;
}
