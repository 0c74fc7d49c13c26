// The app's own wagmi module, which the examples import as "./wagmi.js" and leave to the app: a real wagmi
// config (createConfig) on mainnet and Base. No node behind it: nothing here reads the chain.
import { createConfig, custom } from "@wagmi/core";
import { base, mainnet } from "@wagmi/core/chains";

const noNode = custom({
  request: async ({ method }) => {
    throw Object.assign(new Error(`${method}: no node in these tests`), { code: 4200 });
  },
});
export const wagmiConfig = createConfig({
  chains: [mainnet, base],
  transports: { [mainnet.id]: noNode, [base.id]: noNode },
  multiInjectedProviderDiscovery: false, // EIP-6963 needs a window's events: test/rainbowkit.mjs, in Chromium
  storage: null,
});
// What AppKit's WagmiAdapter (@reown/appkit-adapter-wagmi, not installed here) exposes of the config it creates
export const wagmiAdapter = { wagmiConfig };
