// A test wallet: an EIP-1193 provider over a viem account, whose personal_sign signs with the account's key,
// with the events wagmi's injected connector listens to; and its EIP-6963 announcement, for a page. It runs in
// Node (test/examples.mjs) and, bundled by esbuild, in Chromium (test/rainbowkit.mjs).

/**
 * @param {import("viem").LocalAccount} account
 * @param {{ chainId: number, chains: number[] }} network the chain it is on, and those it can switch to
 * @param {string[]} signed every message it signs is pushed here, as text
 */
export function testWallet(account, { chainId, chains }, signed = []) {
  const listeners = new Map(); // event name -> Set of listeners
  const emit = (event, value) => [...(listeners.get(event) ?? [])].forEach((listener) => listener(value));
  let current = chainId;
  let connected = false;
  const provider = {
    signed,
    async request({ method, params = [] }) {
      switch (method) {
        case "eth_requestAccounts":
          connected = true;
          return [account.address];
        case "eth_accounts":
          return connected ? [account.address] : [];
        case "eth_chainId":
          return `0x${current.toString(16)}`;
        case "wallet_switchEthereumChain": {
          const next = Number(params[0].chainId);
          if (!chains.includes(next)) throw Object.assign(new Error(`chain ${next} is not added`), { code: 4902 });
          current = next;
          emit("chainChanged", `0x${next.toString(16)}`);
          return null;
        }
        case "wallet_revokePermissions":
          connected = false;
          return null;
        case "personal_sign": {
          const [data, address] = params;
          if (address.toLowerCase() !== account.address.toLowerCase()) throw new Error("unknown account");
          const raw = /** @type {`0x${string}`} */ (data);
          signed.push(new TextDecoder().decode(Uint8Array.from(raw.slice(2).match(/../g) ?? [], (b) => parseInt(b, 16))));
          return account.signMessage({ message: { raw } });
        }
        default:
          throw Object.assign(new Error(`${method} is not supported`), { code: 4200 });
      }
    },
    on(event, listener) {
      listeners.set(event, (listeners.get(event) ?? new Set()).add(listener));
      return provider;
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener);
      return provider;
    },
  };
  return provider;
}

/** a 1×1 PNG: RainbowKit lists an EIP-6963 wallet only when its icon is a data:image URL */
const ICON =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/** a random UUID (crypto.randomUUID is for secure contexts only, and the test page is on plain http) */
function uuid4() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * EIP-6963: announce `provider` on `target` (a window) now and whenever a dapp requests providers.
 * @param {EventTarget} target @param {object} provider @param {{ name: string, rdns: string }} info
 */
export function announce(target, provider, { name, rdns }) {
  const detail = Object.freeze({ info: Object.freeze({ uuid: uuid4(), name, icon: ICON, rdns }), provider });
  const announcement = () => target.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
  target.addEventListener("eip6963:requestProvider", announcement);
  announcement();
}
