// Stands in for the app's wagmi module: the connected account is the one test/examples.mjs connects.
export const wagmiConfig = { connected: () => globalThis.connectedAccount ?? {} };
export const wagmiAdapter = { wagmiConfig };
