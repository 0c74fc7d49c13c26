// Open-loop load at a fixed rate: request i is due at start + i / rate, whether or not earlier ones were
// answered, and its latency is measured from that due time (so a stalled server is not excused by the client
// waiting for it: no coordinated omission). Node's own http client, no dependencies.
//
//   node benchmarks/openloop.mjs CONFIG.json
//
// CONFIG: {"url", "method", "headers": {}, "rate", "duration", "body": string|null,
//          "bodies_file": path|null (one body per line, each sent once), "max_sockets", "out": path}
// Writes a JSON summary to "out": due, sent, completed, statuses, errors, achieved rate, latency percentiles
// from the due time ("latency_ms") and from the actual send ("service_ms"), and the worst send lag.
import fs from "node:fs";
import http from "node:http";
import { performance } from "node:perf_hooks";

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const url = new URL(config.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: config.max_sockets ?? 256 });
const bodies = config.bodies_file
  ? fs.readFileSync(config.bodies_file, "utf8").split("\n").filter((line) => line !== "")
  : null;
const wanted = Math.floor(config.rate * config.duration);
const total = bodies ? Math.min(wanted, bodies.length) : wanted;
const latencies = new Float64Array(total);
const services = new Float64Array(total);
const statuses = {};
let completed = 0;
let errors = 0;
let sent = 0;
let maxLag = 0;
let lastDone = 0;

function send(options, body) {
  return new Promise((resolve) => {
    const request = http.request(options, (response) => {
      response.on("data", () => {});
      response.on("end", () => resolve(response.statusCode));
    });
    request.on("error", () => resolve(0));
    request.setTimeout(10000, () => request.destroy());
    request.end(body ?? undefined);
  });
}

function options(body) {
  const headers = { ...config.headers };
  if (body != null) headers["Content-Length"] = Buffer.byteLength(body);
  return { agent, host: url.hostname, port: url.port, path: url.pathname, method: config.method, headers };
}

async function warmUp(connections) {
  // Open the keep-alive connections first, so that the measured requests do not pay for the handshakes.
  const health = { agent, host: url.hostname, port: url.port, path: "/healthz", method: "GET" };
  await Promise.all(Array.from({ length: connections }, () => send(health, null)));
}

function fire(index, due) {
  const body = bodies ? bodies[index] : config.body;
  const started = performance.now();
  maxLag = Math.max(maxLag, started - due);
  sent++;
  return send(options(body), body).then((status) => {
    const finished = performance.now();
    if (status === 0) {
      errors++;
      return;
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
    latencies[completed] = finished - due;
    services[completed] = finished - started;
    completed++;
    lastDone = finished;
  });
}

function schedule(start) {
  const pending = [];
  return new Promise((resolve) => {
    let next = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * config.rate) / 1000) + 1);
      for (; next < due; next++) pending.push(fire(next, start + (next * 1000) / config.rate));
      if (next < total) setTimeout(tick, 1);
      else resolve(Promise.all(pending));
    };
    tick();
  });
}

function percentile(values, count, q) {
  if (count === 0) return null;
  const sorted = values.slice(0, count).sort();
  return sorted[Math.min(count - 1, Math.ceil(q * count) - 1)];
}

function summary(values) {
  return {
    p50: percentile(values, completed, 0.5),
    p99: percentile(values, completed, 0.99),
    max: percentile(values, completed, 1),
  };
}

await warmUp(Math.min(32, config.max_sockets ?? 256));
const start = performance.now();
await schedule(start);
const seconds = (lastDone - start) / 1000;
const result = {
  target_rate: config.rate,
  due: total,
  exhausted: bodies !== null && bodies.length < wanted,
  sent,
  completed,
  errors,
  statuses,
  seconds,
  achieved_rate: seconds > 0 ? completed / seconds : 0,
  latency_ms: summary(latencies),
  service_ms: summary(services),
  max_send_lag_ms: maxLag,
};
fs.writeFileSync(config.out, JSON.stringify(result, null, 2) + "\n");
agent.destroy();
