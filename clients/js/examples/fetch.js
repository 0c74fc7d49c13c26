async function call(path, body, token) {
  const headers = { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) };
  const response = await fetch(path, body ? { method: "POST", headers, body: JSON.stringify(body) } : { headers });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${path}: ${answer.error}: ${answer.detail}`);
  return answer;
}
const [address] = await window.ethereum.request({ method: "eth_requestAccounts" });
const { message } = await call("/auth/challenge", { address, domain: location.host, uri: location.origin });
const hex = "0x" + Array.from(new TextEncoder().encode(message), (b) => b.toString(16).padStart(2, "0")).join("");
const signature = await window.ethereum.request({ method: "personal_sign", params: [hex, address] }); // message first
const { access_token } = await call("/auth/verify", { message, signature });
const me = await call("/auth/me", null, access_token);
console.log(`signed in as ${me.address} on chain ${me.chain_id}, session ${me.session_id}`);
