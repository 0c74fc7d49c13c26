// What the Node tests share: JSON POSTs, personal_sign by an ethers or viem key, an EIP-1193 wallet.
import { BaseWallet } from "ethers";

/** POST JSON; the status and the parsed body, whatever the status */
export async function post(base, path, body) {
  const response = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** personal_sign of `message` by an ethers Wallet or a viem account */
export function signedBy(signer, message) {
  return signer instanceof BaseWallet ? signer.signMessage(message) : signer.signMessage({ message });
}

/**
 * An EIP-1193 provider over a viem account, on `chainId`; `signer`, when given, signs in its place (a wallet
 * that signs with another key than the one it shares).
 */
export function walletProvider(account, chainId, signer = account) {
  return {
    async request({ method, params }) {
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [account.address];
        case "eth_chainId":
          return `0x${chainId.toString(16)}`;
        case "personal_sign": {
          const [data, address] = params;
          if (address.toLowerCase() !== account.address.toLowerCase()) throw new Error("unknown account");
          return signer.signMessage({ message: { raw: data } });
        }
        default:
          throw Object.assign(new Error(`${method} is not supported`), { code: 4200 });
      }
    },
  };
}

/** What AppKit's SIWE client does before the wallet signs: message params, a nonce for the address, then the
 * message, with the address as a did:pkh on chain 1; the params and the message */
export async function appKitMessage(config, address) {
  const params = await config.getMessageParams();
  const nonce = await config.getNonce(address);
  const message = config.createMessage({
    ...params,
    address: `did:pkh:eip155:1:${address}`,
    chainId: 1,
    nonce,
    version: "1",
    iat: new Date().toISOString(),
  });
  return { params, message };
}
