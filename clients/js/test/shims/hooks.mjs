// Module resolution for running examples/ in Node: the app's own wagmi module ("./wagmi.js", which the examples
// leave to the app) is wagmi-app.mjs beside this file, a real wagmi config; @reown/appkit-siwe resolves to the
// stand-in appkit-siwe.mjs. Every other package is the real one.
export async function resolve(specifier, context, nextResolve) {
  const fromExamples = context.parentURL?.includes("/examples/");
  const shim =
    specifier === "@reown/appkit-siwe" ? "appkit-siwe.mjs" : specifier === "./wagmi.js" && fromExamples ? "wagmi-app.mjs" : null;
  return shim ? { url: new URL(shim, import.meta.url).href, shortCircuit: true } : nextResolve(specifier, context);
}
