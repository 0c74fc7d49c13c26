// A React app with the real RainbowKit around the README's RainbowKit wiring (examples/rainbowkit.js, as
// written): WagmiProvider (wagmi's createConfig, no connector of its own: EIP-6963 finds the wallet),
// QueryClientProvider, RainbowKitAuthenticationProvider, RainbowKitProvider and its ConnectButton. The wallet is
// the test wallet (test/wallet.mjs) with the key the test put in `window.testWalletKey`, announced by EIP-6963.
// Bundled by esbuild and driven in Chromium by test/rainbowkit.mjs.
import "@rainbow-me/rainbowkit/styles.css";
import {
  ConnectButton,
  RainbowKitAuthenticationProvider,
  RainbowKitProvider,
} from "@rainbow-me/rainbowkit";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { privateKeyToAccount } from "viem/accounts";
import { createConfig, custom, WagmiProvider } from "wagmi";
// from viem/chains: from wagmi/chains (its `export * from "viem/chains"`), esbuild 0.28.2 leaves the chains undefined
// in this bundle (the lazily evaluated chain modules are never initialised)
import { base, mainnet } from "viem/chains";
import { adapter, auth, authStatus } from "../examples/rainbowkit.js";
import { announce, testWallet } from "./wallet.mjs";

const wallet = testWallet(privateKeyToAccount(window.testWalletKey), { chainId: 1, chains: [1, 8453] });
announce(window, wallet, { name: "Test Wallet", rdns: "test.web3-auth.wallet" });

// no node behind the chains: RainbowKit's ENS and balance look-ups fail, and show the address instead
const noNode = custom({
  request: async ({ method }) => {
    throw Object.assign(new Error(`${method}: no node in this test`), { code: 4200 });
  },
});
const wagmiConfig = createConfig({ chains: [mainnet, base], transports: { [mainnet.id]: noNode, [base.id]: noNode } });
const queryClient = new QueryClient();

function App() {
  const [status, setStatus] = useState(authStatus);
  useEffect(() => auth.onChange(() => setStatus(authStatus())), []);
  return (
    <WagmiProvider config={wagmiConfig}>
      <QueryClientProvider client={queryClient}>
        <RainbowKitAuthenticationProvider adapter={adapter} status={status}>
          <RainbowKitProvider>
            <ConnectButton showBalance={false} />
            {/* what RainbowKit itself holds as the authentication status, and the connected account */}
            <ConnectButton.Custom>
              {({ authenticationStatus, account, mounted }) => (
                <p>
                  RainbowKit: <output id="rainbowkit-status">{mounted ? authenticationStatus : ""}</output>, account{" "}
                  <output id="rainbowkit-account">{account?.address ?? ""}</output>
                </p>
              )}
            </ConnectButton.Custom>
          </RainbowKitProvider>
        </RainbowKitAuthenticationProvider>
      </QueryClientProvider>
    </WagmiProvider>
  );
}

window.testAuth = auth; // for the test to read the held access token
window.testWallet = wallet; // and what the wallet signed
createRoot(document.getElementById("app")).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
