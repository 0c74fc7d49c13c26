import { createAuthenticationAdapter } from "@rainbow-me/rainbowkit";
import { rainbowKitAdapter } from "../adapters/rainbowkit.js"; // clients/js, copied into your app
import { Web3Auth } from "../web3-auth.js";

export const auth = new Web3Auth({ baseUrl: "https://auth.example.com" });
export const adapter = createAuthenticationAdapter(rainbowKitAdapter(auth)); // a nonce first, the account later
export const authStatus = () => (auth.session ? "authenticated" : "unauthenticated");
// In React: const [status, setStatus] = useState(authStatus);
//   useEffect(() => auth.onChange(() => setStatus(authStatus())), []);
//   <WagmiProvider config={wagmiConfig}><QueryClientProvider client={queryClient}>
//   <RainbowKitAuthenticationProvider adapter={adapter} status={status}><RainbowKitProvider><ConnectButton />
