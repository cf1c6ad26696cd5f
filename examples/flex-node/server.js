// flex-node: a small web app that adds passkeys to its own sign-in through
// passbridge's Flex API, with the backend calls of Passage's Node.js SDK
// (lib/passbridge-flex.js). See README.md.
//
// Configuration comes from the environment:
//
//   PASSBRIDGE_URL      where passbridge answers (default http://localhost:8080)
//   PASSBRIDGE_APP_ID   the passbridge app this site belongs to (required)
//   PASSBRIDGE_API_KEY  an API key of that app (required)
//   LISTEN              the address to listen on (default 127.0.0.1:3000)
//   ACCOUNTS_FILE       where the site keeps its accounts (default ./data/flex-node-accounts.json)

import { createServer } from "node:http";

import { passbridgeOrigin, Site } from "./lib/app.js";

/** Reads the configuration from env and reports every problem at once. */
function configFromEnv(env) {
  const cfg = {
    passbridgeUrl: env.PASSBRIDGE_URL || "http://localhost:8080",
    appId: env.PASSBRIDGE_APP_ID ?? "",
    apiKey: env.PASSBRIDGE_API_KEY ?? "",
    listen: env.LISTEN || "127.0.0.1:3000",
    accountsFile: env.ACCOUNTS_FILE || "data/flex-node-accounts.json",
  };
  const problems = [];
  if (!cfg.appId) {
    problems.push("PASSBRIDGE_APP_ID is required");
  }
  if (!cfg.apiKey) {
    problems.push("PASSBRIDGE_API_KEY is required");
  }
  try {
    passbridgeOrigin(cfg.passbridgeUrl);
  } catch (err) {
    problems.push(`PASSBRIDGE_URL: ${err.message}`);
  }
  const m = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(cfg.listen);
  if (!m || Number(m[2]) > 65535) {
    problems.push(`LISTEN ${JSON.stringify(cfg.listen)} is not host:port`);
  } else {
    cfg.host = m[1].replace(/^\[|\]$/g, "") || undefined;
    cfg.port = Number(m[2]);
  }
  return { cfg, problems };
}

/** One line of JSON per event, on stderr. */
function logger() {
  const write = (level) => (msg, fields = {}) =>
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  return { info: write("info"), warn: write("warn"), error: write("error") };
}

const { cfg, problems } = configFromEnv(process.env);
if (problems.length > 0) {
  process.stderr.write(`flex-node: ${problems.join("; ")}\n`);
  process.exit(2);
}
const log = logger();
const site = new Site({ ...cfg, log });
const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, site.handle);
server.on("error", (err) => {
  log.error("serve", { err: err.message });
  process.exit(1);
});
server.listen(cfg.port, cfg.host, () => {
  log.info("listening", { addr: server.address(), passbridge: cfg.passbridgeUrl, app: cfg.appId });
});

// Lets requests in flight finish, then exits.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
