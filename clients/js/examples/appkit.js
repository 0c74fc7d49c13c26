import { web3AuthSiwx } from "../adapters/siwx.js"; // clients/js, copied into your app
import { Web3Auth } from "../web3-auth.js";

export const auth = new Web3Auth({ baseUrl: "https://auth.example.com" });
export const siwx = web3AuthSiwx(auth); // one session for every network signed in on
// createAppKit({ adapters: [wagmiAdapter], networks: [mainnet, base], projectId, siwx });
