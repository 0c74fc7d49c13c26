// A page on web3-auth's origin (or behind a proxy that sends /auth/ to it). From another origin: import
// https://<web3-auth>/auth/client.js and list the page's origin in AUTH_CORS_ORIGINS.
import { authFetch, signIn, signOut } from "/auth/client.js";

const { address, chainId } = await signIn(window.ethereum); // eth_requestAccounts, challenge, personal_sign, verify
const me = await authFetch("/auth/me").then((response) => response.json()); // your API the same way
console.log(`signed in as ${address} on chain ${chainId}, session ${me.session_id}`);
document.querySelector("#sign-out").addEventListener("click", () => signOut());
