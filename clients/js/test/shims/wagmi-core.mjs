// wagmi's getAccount(config): the connected account of a config (here, the stand-in's).
export function getAccount(config) {
  return config.connected();
}
