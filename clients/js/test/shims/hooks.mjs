// Module resolution for running examples/ in Node without React apps around them: the UI libraries'
// entry points and the app's own wagmi module resolve to the small stand-ins beside this file.
const SHIMS = {
  "@rainbow-me/rainbowkit": "rainbowkit.mjs",
  "@wagmi/core": "wagmi-core.mjs",
};

export async function resolve(specifier, context, nextResolve) {
  const shim = SHIMS[specifier] ?? (specifier === "./wagmi.js" && context.parentURL?.includes("/examples/") ? "wagmi-app.mjs" : null);
  return shim ? { url: new URL(shim, import.meta.url).href, shortCircuit: true } : nextResolve(specifier, context);
}
