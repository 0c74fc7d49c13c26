// The OpenID Connect sign-in page's script (oidc-signin.html, served at GET /oidc/authorize): a button per
// wallet of the browser (EIP-6963 announced providers, and window.ethereum), then with the one clicked: a
// challenge on the provider's own domain listing the client's redirect URI among its Resources (the signature
// is for this client only), personal_sign, and the page's form posted back to /oidc/authorize with the
// message and signature beside the authorization parameters. The service answers that POST with the redirect
// to the client, so no token or code ever passes through this script.
import { Web3Auth, Web3AuthError } from "/auth/client.js";

const page = /** @type {HTMLElement} */ (document.getElementById("signin"));
const form = /** @type {HTMLFormElement} */ (document.getElementById("complete"));
const walletList = /** @type {HTMLElement} */ (document.getElementById("wallets"));
const statusLine = /** @type {HTMLElement} */ (document.getElementById("status"));

const domain = page.dataset.domain;
const redirectUri = page.dataset.redirectUri;
const chainIds = (page.dataset.chainIds ?? "").split(",").map(Number).filter(Number.isInteger);
const auth = new Web3Auth({ domain });

/** @type {Map<string, { info: { uuid: string, name: string, icon?: string }, provider: any }>} by uuid */
const announced = new Map();
let busy = false; // a sign-in under way: the buttons stay disabled, those of wallets announced meanwhile too

/** @param {string} text @param {boolean} [error] */
function say(text, error = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", error);
}

/** @param {boolean} value */
function setBusy(value) {
  busy = value;
  for (const button of walletList.querySelectorAll("button")) button.disabled = busy;
}

/** @param {string} text @returns {string} 0x-hex of its UTF-8 bytes, the form every wallet's personal_sign takes */
function utf8Hex(text) {
  return "0x" + Array.from(new TextEncoder().encode(text), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** @param {unknown} error @returns {string} what the user can act on */
function describe(error) {
  if (error instanceof Web3AuthError) return `${error.detail} (${error.code})`;
  const { code, message } = /** @type {{ code?: unknown, message?: unknown }} */ (error ?? {});
  if (code === 4001) return "The wallet declined the request.";
  if (code === -32002) return "The wallet is already asking you something: look at it first.";
  return typeof message === "string" && message ? `The wallet failed: ${message}` : String(error);
}

/** @param {any} provider the EIP-1193 provider of the button clicked */
async function signInWith(provider) {
  setBusy(true);
  try {
    say("Connecting to your wallet…");
    const accounts = await provider.request({ method: "eth_requestAccounts" });
    const address = Array.isArray(accounts) ? accounts[0] : undefined;
    if (typeof address !== "string") throw new Web3AuthError(0, "no_account", "the wallet shared no account");
    // the wallet's chain when the service signs in on it, else the service's default: a message is signed
    // off-chain, so any chain the service accepts will do
    const current = Number(await provider.request({ method: "eth_chainId" }).catch(() => NaN));
    const chainId = chainIds.includes(current) ? current : chainIds[0];
    const { message } = await auth.challenge({ address, chainId, resources: [String(redirectUri)] });
    say("Sign the message in your wallet.");
    const signature = await provider.request({ method: "personal_sign", params: [utf8Hex(message), address] });
    if (typeof signature !== "string") throw new Web3AuthError(0, "bad_response", "the wallet answered no signature");
    /** @type {HTMLInputElement} */ (form.elements.namedItem("message")).value = message;
    /** @type {HTMLInputElement} */ (form.elements.namedItem("signature")).value = signature;
    say("Signing in…");
    form.submit();
  } catch (error) {
    say(describe(error), true);
    setBusy(false);
  }
}

/** @param {string} name @param {any} provider @param {string} [icon] @returns {HTMLButtonElement} */
function walletButton(name, provider, icon) {
  const button = document.createElement("button");
  button.type = "button";
  button.disabled = busy;
  // EIP-6963 icons are data: URIs; anything else would be a request the CSP refuses, so it is not made
  if (icon?.startsWith("data:image/")) {
    const image = document.createElement("img");
    image.src = icon;
    image.alt = "";
    button.append(image);
  }
  button.append(name);
  button.addEventListener("click", () => signInWith(provider));
  return button;
}

const NO_WALLET = "No wallet found in this browser: install or unlock one, then reload this page.";

function render() {
  const providers = [...announced.values()];
  const buttons = providers.map(({ info, provider }) => walletButton(info.name, provider, info.icon));
  const injected = /** @type {any} */ (window).ethereum;
  // a wallet that both announces itself and is window.ethereum gets one button, with its announced name
  if (injected && !providers.some(({ provider }) => provider === injected)) {
    buttons.push(walletButton("Browser wallet", injected));
  }
  walletList.replaceChildren(...buttons);
  if (buttons.length === 0) say(NO_WALLET, true);
  else if (statusLine.textContent === NO_WALLET) say("");
}

window.addEventListener("eip6963:announceProvider", (event) => {
  const { info, provider } = /** @type {CustomEvent} */ (event).detail ?? {};
  if (typeof info?.uuid !== "string" || typeof info.name !== "string" || typeof provider?.request !== "function") return;
  announced.set(info.uuid, { info, provider });
  render();
});
// back from the client after the form was sent (the page restored from the back/forward cache): usable again
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    setBusy(false);
    say("");
  }
});

// wallets announce themselves in answer, at once; one that does later gets its button then
window.dispatchEvent(new Event("eip6963:requestProvider"));
render();
