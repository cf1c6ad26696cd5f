// Starts the example site: a Node.js web app that signs people up and in with
// passkeys through passbridge's start/finish API, with
// @simplewebauthn/browser in the page. See README.md.
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";

import { Accounts } from "./lib/accounts.js";
import { Site } from "./lib/app.js";
import { ConfigError, configFromEnv } from "./lib/config.js";
import { log } from "./lib/log.js";
import { Passbridge } from "./lib/passbridge.js";
import { Sessions } from "./lib/sessions.js";
import { loadFiles } from "./lib/static.js";

let config;
try {
  config = configFromEnv(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`byo-node cannot start:\n  ${err.problems.join("\n  ")}`);
    process.exit(2);
  }
  throw err;
}

const site = new Site({
  pb: new Passbridge(config),
  accounts: new Accounts(config.accountsFile),
  sessions: new Sessions(),
  files: loadFiles(fileURLToPath(new URL("./public", import.meta.url))),
  siteOrigin: config.siteOrigin,
  log,
});

const server = createServer(site.handle);
server.listen(config.port, config.host, () => {
  log.info("listening", { address: `${config.host}:${config.port}`, open: `${config.siteOrigin}/`, passbridge: config.passbridgeURL });
});

// Stop taking requests, let the ones in flight end, then exit.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
