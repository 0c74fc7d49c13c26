// The demo page's script: the client module and a few buttons. The refresh token is kept in sessionStorage,
// so a reload resumes the session (the access token itself stays in memory).
import { Web3Auth } from "./auth/client.js";

const auth = new Web3Auth({ storage: sessionStorage });
const $ = (id) => document.getElementById(id);
let ticking;

function show(session) {
  $("status").textContent = session ? "Signed in" : "Signed out";
  $("status").classList.toggle("on", Boolean(session));
  $("address").textContent = session?.address ?? "–";
  $("chain").textContent = session?.chainId ?? "–";
  $("sign-in").disabled = Boolean(session) || !window.ethereum;
  $("me").disabled = $("sign-out").disabled = !session;
  clearInterval(ticking);
  const expiry = () => {
    const seconds = Math.max(0, Math.round((session.expiresAt - Date.now()) / 1000));
    $("expiry").textContent = `${new Date(session.expiresAt).toLocaleTimeString()} (in ${seconds} s)`;
  };
  if (session) {
    expiry();
    ticking = setInterval(expiry, 1000);
  } else {
    $("expiry").textContent = "–";
  }
}

async function run(action) {
  $("error").textContent = "";
  try {
    await action();
  } catch (error) {
    $("error").textContent = error.code ? `${error.code}: ${error.detail}` : String(error);
  }
}

auth.onChange(show);
$("sign-in").onclick = () => run(() => auth.signIn(window.ethereum));
$("me").onclick = () => run(async () => ($("output").textContent = JSON.stringify(await auth.me(), null, 2)));
$("sign-out").onclick = () => run(async () => {
  $("output").textContent = "";
  await auth.signOut();
});

show(null);
if (!window.ethereum) $("error").textContent = "No EIP-1193 wallet (window.ethereum) in this browser.";
run(() => auth.resume());
