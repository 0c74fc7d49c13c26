// Reown AppKit: a SIWX configuration (AppKit's SIWXConfig) over web3-auth, for createAppKit({ siwx }).
//
//   createAppKit({ adapters, networks, projectId, siwx: web3AuthSiwx(auth) });
//
// Each message carries a nonce from POST /auth/nonce, bound to the domain only: AppKit may ask for a message
// before it knows the address (One-Click Auth asks with accountAddress '', embedded wallets with the
// placeholder '<<AccountAddress>>'). One session holds every chain signed in on: One-Click Auth's CACAOs open it
// in one POST /auth/verify, a chain signed later is added to it (POST /auth/accounts), a chain revoked is
// removed from it (DELETE /auth/accounts/{account}) until it is the last one, which signs out.
import { getAddress, isAddress } from "viem";
import { Web3AuthError } from "../web3-auth.js";

/**
 * A CAIP-2 chain id of the EIP-155 namespace, as AppKit names networks: `eip155:1`.
 * @typedef {`eip155:${string}`} Eip155ChainId
 */

/**
 * What AppKit asks a message for (SIWXMessage.Input).
 * @typedef {object} SiwxInput
 * @property {string} accountAddress The address; '' or '<<AccountAddress>>' when AppKit does not know it yet.
 * @property {string} chainId CAIP-2 (`eip155:8453`); '' when AppKit has no network yet.
 * @property {string} [notBefore] RFC 3339.
 */

/**
 * The message's fields (SIWXMessage.Data).
 * @typedef {object} SiwxMessageData
 * @property {string} accountAddress
 * @property {Eip155ChainId} chainId
 * @property {string} [notBefore]
 * @property {string} domain
 * @property {string} uri
 * @property {string} version
 * @property {string} nonce
 * @property {string} [statement]
 * @property {string[]} [resources]
 * @property {string} [requestId]
 * @property {string} [issuedAt]
 * @property {string} [expirationTime]
 */

/**
 * A message for the wallet to sign: its fields, and `toString()` its EIP-4361 text (SIWXMessage).
 * @typedef {SiwxMessageData & { toString(): string }} SiwxMessage
 */

/**
 * A signed message (SIWXSession): AppKit hands them to addSession and setSessions, and getSessions answers them.
 * @typedef {object} SiwxSession
 * @property {SiwxMessageData} data
 * @property {string} message The text signed ('' for a session resumed from storage: what was signed is not kept).
 * @property {string} signature
 * @property {import("../web3-auth.js").Cacao} [cacao] With One-Click Auth, the wallet's CACAO.
 */

/**
 * A signed message as AppKit hands it to addSession and setSessions (its SIWXSession, whatever its namespace): of its
 * fields, the account and the chain are read.
 * @typedef {object} SignedSiwx
 * @property {SiwxInput & Partial<Omit<SiwxMessageData, "chainId">>} data
 * @property {string} message The text signed.
 * @property {string} signature
 * @property {import("../web3-auth.js").Cacao} [cacao]
 */

/**
 * The methods of AppKit's SIWXConfig.
 * @typedef {object} Web3AuthSiwx
 * @property {(input: SiwxInput) => Promise<SiwxMessage>} createMessage
 * @property {(session: SignedSiwx) => Promise<void>} addSession
 * @property {(chainId: string, address: string) => Promise<void>} revokeSession
 * @property {(sessions: SignedSiwx[]) => Promise<void>} setSessions
 * @property {(chainId: string, address: string) => Promise<SiwxSession[]>} getSessions
 * @property {() => boolean} getRequired
 * @property {boolean} signOutOnDisconnect
 */

/**
 * @typedef {object} Web3AuthSiwxOptions
 * @property {string} [statement] The statement in the message. Default: the service's (AUTH_STATEMENT).
 * @property {boolean} [required] Whether the wallet is disconnected when the user declines to sign. Default: false.
 * @property {boolean} [signOutOnDisconnect] Sign out when the wallet disconnects. Default: true.
 */

/** @param {SiwxMessageData} data @returns {string} the EIP-4361 message of these fields */
function eip4361(data) {
  const optional = [
    data.expirationTime && `Expiration Time: ${data.expirationTime}`,
    data.notBefore && `Not Before: ${data.notBefore}`,
    data.requestId && `Request ID: ${data.requestId}`,
    data.resources?.length && ["Resources:", ...data.resources.map((resource) => `- ${resource}`)].join("\n"),
  ];
  return [
    `${data.domain} wants you to sign in with your Ethereum account:`,
    data.accountAddress,
    "",
    ...(data.statement ? [data.statement, ""] : [""]),
    `URI: ${data.uri}`,
    `Version: ${data.version}`,
    `Chain ID: ${data.chainId.split(":")[1]}`,
    `Nonce: ${data.nonce}`,
    `Issued At: ${data.issuedAt}`,
    ...optional.filter((line) => typeof line === "string"),
  ].join("\n");
}

/** @param {string} chainId @param {string} address @returns {string} CAIP-10, lower case: a key to compare */
function accountKey(chainId, address) {
  return `${chainId}:${address}`.toLowerCase();
}

/**
 * @param {import("../web3-auth.js").Web3Auth} auth
 * @param {Web3AuthSiwxOptions} [options]
 * @returns {Web3AuthSiwx}
 */
export function web3AuthSiwx(auth, { statement, required = false, signOutOnDisconnect = true } = {}) {
  /** What was signed for each account of the session (CAIP-10 lower case), as long as this page lives. */
  /** @type {Map<string, SiwxSession>} */
  const signed = new Map();
  auth.onChange((session) => {
    if (!session) signed.clear();
  });

  /** @param {SignedSiwx[]} sessions AppKit's, whole (the fields of an EIP-155 message) */
  const remember = (sessions) => {
    for (const session of sessions) {
      signed.set(accountKey(session.data.chainId, session.data.accountAddress), /** @type {SiwxSession} */ (session));
    }
  };

  /**
   * @param {string} chainId @param {string} address
   * @returns {Promise<{ account: string, me: import("../web3-auth.js").Me } | undefined>} the session's account
   *   for them (as the service spells it), if it has one
   */
  const accountOf = async (chainId, address) => {
    if (!auth.session) return undefined;
    /** @type {import("../web3-auth.js").Me} */
    let me;
    try {
      me = await auth.me();
    } catch (error) {
      // the session ended at the service, or here meanwhile
      if (error instanceof Web3AuthError && (error.status === 401 || error.code === "not_signed_in")) return undefined;
      throw error;
    }
    const account = me.accounts.find((candidate) => candidate.toLowerCase() === accountKey(chainId, address));
    return account ? { account, me } : undefined;
  };

  return {
    createMessage: async ({ accountAddress, chainId, notBefore }) => {
      const issued = await auth.nonce();
      const chain = /** @type {Eip155ChainId} */ (
        chainId.startsWith("eip155:") ? chainId : `eip155:${issued.chain_ids[0]}`
      );
      /** @type {SiwxMessageData} */
      const data = {
        accountAddress: isAddress(accountAddress, { strict: false }) ? getAddress(accountAddress) : accountAddress,
        chainId: chain,
        notBefore,
        domain: issued.domain,
        uri: issued.uri,
        version: "1",
        nonce: issued.nonce,
        statement: statement ?? issued.statement,
        issuedAt: issued.issued_at,
        expirationTime: issued.expiration_time,
      };
      return { ...data, toString: () => eip4361(data) };
    },

    addSession: async (session) => {
      const { chainId, accountAddress } = session.data;
      const { message, signature, cacao } = session;
      const held = auth.session;
      // another chain for the address signed in: added to its session; anything else is a new session
      const adds =
        held?.address.toLowerCase() === accountAddress.toLowerCase() &&
        !held.accounts.some((account) => account.toLowerCase() === accountKey(chainId, accountAddress));
      try {
        if (adds) {
          await auth.addAccounts(cacao ? [cacao] : [{ message, signature }]);
          return remember([session]);
        }
      } catch (error) {
        // the session had ended at the service (its bearer refused before the message was looked at): a new one
        if (!(error instanceof Web3AuthError && ["invalid_token", "not_signed_in"].includes(error.code))) throw error;
      }
      if (cacao) await auth.verifyCacaos([cacao]);
      else await auth.verify(message, signature);
      remember([session]);
    },

    revokeSession: async (chainId, address) => {
      signed.delete(accountKey(chainId, address));
      const found = await accountOf(chainId, address);
      if (!found) return;
      // the service keeps a session its last account: that one is a sign-out
      if (found.me.accounts.length > 1) await auth.removeAccount(found.account);
      else await auth.signOut();
    },

    setSessions: async (sessions) => {
      if (sessions.length === 0) return auth.signOut(); // signed.clear() follows from onChange
      const cacaos = sessions.flatMap((session) => (session.cacao ? [session.cacao] : []));
      if (cacaos.length === sessions.length) await auth.verifyCacaos(cacaos);
      else await auth.verifyAll(sessions.map(({ message, signature }) => ({ message, signature })));
      signed.clear();
      remember(sessions);
    },

    getSessions: async (chainId, address) => {
      const found = await accountOf(chainId, address);
      if (!found) return [];
      const kept = signed.get(found.account.toLowerCase());
      if (kept) return [kept];
      // resumed from storage: what was signed is not known here, only the account
      const { domain } = found.me;
      /** @type {SiwxMessageData} */
      const data = {
        accountAddress: /** @type {string} */ (found.account.split(":")[2]),
        chainId: /** @type {Eip155ChainId} */ (chainId),
        domain,
        uri: auth.uri ?? `https://${domain}`,
        version: "1",
        nonce: "",
      };
      return [{ data, message: "", signature: "" }];
    },

    getRequired: () => required,
    signOutOnDisconnect,
  };
}
