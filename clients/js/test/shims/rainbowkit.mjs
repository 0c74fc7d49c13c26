// RainbowKit's createAuthenticationAdapter returns its argument (it exists to infer the message type).
export function createAuthenticationAdapter(adapter) {
  return adapter;
}
