// The sign-in flow as the siwe npm package's README and its quickstart lead a Node developer to write it:
// fastify 5, siwe 3 (whose verify recovers the signer with ethers 6), jose for an ES256 access token, and
// the outstanding nonces in a Map, each deleted when used. benchmarks/load.py measures it beside web3-auth
// (one process each, alternating) with the same wrk scripts and request bodies.
//
//   node benchmarks/peers/node/server.mjs --port 8200
//
// POST /auth/challenge {address, chain_id?}  -> {message, nonce, address}
// POST /auth/verify    {message, signature}  -> {access_token, token_type, expires_in}
// GET  /healthz                               -> {status: "ok"}
// Unlike web3-auth it issues no refresh token, keeps no session, counts no rate limit, writes no log line.
import Fastify from "fastify";
import { SignJWT, generateKeyPair } from "jose";
import { SiweMessage, generateNonce } from "siwe";

const DOMAIN = "localhost";
const URI = "http://localhost/";
const STATEMENT = "Sign in with Ethereum.";
const NONCE_TTL_MS = 3600 * 1000; // as long as load.py's AUTH_NONCE_TTL for web3-auth
const ACCESS_TTL_S = 900;

function portFromArguments() {
  const index = process.argv.indexOf("--port");
  const port = Number(index >= 0 ? process.argv[index + 1] : process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) {
    throw new Error("usage: node server.mjs --port <port>");
  }
  return port;
}

const nonces = new Map(); // nonce -> {address, expires}: what a challenge promised
const { privateKey } = await generateKeyPair("ES256");
const app = Fastify();

function refuse(reply, status, error, detail) {
  return reply.code(status).send({ error, detail });
}

app.get("/healthz", async () => ({ status: "ok" }));

app.post("/auth/challenge", async (request, reply) => {
  const { address, chain_id: chainId = 1 } = request.body ?? {};
  const now = Date.now();
  let siweMessage;
  try {
    siweMessage = new SiweMessage({
      domain: DOMAIN,
      address,
      statement: STATEMENT,
      uri: URI,
      version: "1",
      chainId,
      nonce: generateNonce(),
      issuedAt: new Date(now).toISOString(),
      expirationTime: new Date(now + NONCE_TTL_MS).toISOString(),
    });
  } catch (error) {
    return refuse(reply, 400, "invalid_request", String(error?.message ?? error));
  }
  const message = siweMessage.prepareMessage();
  nonces.set(siweMessage.nonce, { address: siweMessage.address, expires: now + NONCE_TTL_MS });
  return { message, nonce: siweMessage.nonce, address: siweMessage.address };
});

app.post("/auth/verify", async (request, reply) => {
  const { message, signature } = request.body ?? {};
  let siweMessage;
  try {
    siweMessage = new SiweMessage(message);
  } catch (error) {
    return refuse(reply, 400, "invalid_message", String(error?.message ?? error));
  }
  const issued = nonces.get(siweMessage.nonce);
  if (issued === undefined || issued.expires <= Date.now() || issued.address !== siweMessage.address) {
    return refuse(reply, 401, "invalid_nonce", "no such challenge, or it expired");
  }
  nonces.delete(siweMessage.nonce); // used: a second try needs a new challenge
  try {
    await siweMessage.verify({ signature, nonce: siweMessage.nonce, domain: DOMAIN });
  } catch (failure) {
    return refuse(reply, 401, "invalid_signature", String(failure?.error?.type ?? failure));
  }
  const accessToken = await new SignJWT({ chain_id: siweMessage.chainId })
    .setProtectedHeader({ alg: "ES256" })
    .setSubject(siweMessage.address)
    .setIssuer(URI)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_TTL_S}s`)
    .sign(privateKey);
  return { access_token: accessToken, token_type: "Bearer", expires_in: ACCESS_TTL_S };
});

await app.listen({ host: "127.0.0.1", port: portFromArguments() });
