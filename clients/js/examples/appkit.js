import { createSIWEConfig } from "@reown/appkit-siwe";
import { getAccount } from "@wagmi/core";
import { appKitSiweConfig } from "../adapters/appkit.js"; // clients/js, copied into your app
import { Web3Auth } from "../web3-auth.js";
import { wagmiAdapter } from "./wagmi.js"; // your new WagmiAdapter({ networks, projectId })

export const auth = new Web3Auth({ baseUrl: "https://auth.example.com" });
export const siweConfig = createSIWEConfig(
  appKitSiweConfig(auth, { chains: [1, 8453], account: () => getAccount(wagmiAdapter.wagmiConfig) }),
);
// createAppKit({ adapters: [wagmiAdapter], networks: [mainnet, base], projectId, siweConfig });
