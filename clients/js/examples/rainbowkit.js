import { createAuthenticationAdapter } from "@rainbow-me/rainbowkit";
import { getAccount } from "@wagmi/core";
import { rainbowKitAdapter } from "../adapters/rainbowkit.js"; // clients/js, copied into your app
import { Web3Auth } from "../web3-auth.js";
import { wagmiConfig } from "./wagmi.js"; // your createConfig(...) or getDefaultConfig(...)

export const auth = new Web3Auth({ baseUrl: "https://auth.example.com" });
export const adapter = createAuthenticationAdapter(rainbowKitAdapter(auth, () => getAccount(wagmiConfig)));
export const authStatus = () => (auth.session ? "authenticated" : "unauthenticated");
// In React: const [status, setStatus] = useState(authStatus);
//   useEffect(() => auth.onChange(() => setStatus(authStatus())), []);
//   <RainbowKitAuthenticationProvider adapter={adapter} status={status}><RainbowKitProvider>...
