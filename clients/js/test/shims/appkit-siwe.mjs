// AppKit's createSIWEConfig wraps the methods in its SIWE client, which calls them as test/examples.mjs does.
export function createSIWEConfig(methods) {
  return methods;
}
