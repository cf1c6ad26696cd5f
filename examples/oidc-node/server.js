// oidc-node: a small web app that signs people in with passbridge through
// OpenID Connect, with openid-client and node:http.
//
// It runs the authorization code flow with PKCE (S256), a state and a nonce
// bound to the browser, has openid-client validate the ID token, and keeps a
// session of its own. "Confirm with passkey" asks passbridge for a fresh
// passkey ceremony of the signed-in user (step-up: acr_values, max_age=0,
// login_hint) and checks that the answer is fresh, strong enough and the
// same user's. "Sign out" ends the app's session and passbridge's
// (RP-initiated logout). See README.md for how to run it and the
// environment it reads.
import { createServer } from "node:http";

import { createApp } from "./lib/app.js";
import { ConfigError, configFromEnv } from "./lib/config.js";
import { describe } from "./lib/errors.js";
import { newLogger } from "./lib/log.js";

const log = newLogger();

let cfg;
try {
  cfg = configFromEnv(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) {
    throw err;
  }
  process.stderr.write(`oidc-node: invalid configuration:\n  ${err.problems.join("\n  ")}\n`);
  process.exit(2);
}

const { app, handle } = createApp(cfg, { log });
const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, handle);

server.on("error", (err) => {
  log.error("serve", { err: describe(err) });
  process.exit(1);
});

server.listen(cfg.port, cfg.host, async () => {
  log.info("listening", {
    addr: `${cfg.host}:${cfg.port}`,
    url: cfg.origin + "/",
    issuer: cfg.issuer,
    client_id: cfg.clientId,
    redirect_uri: cfg.redirectURI,
    post_logout_redirect_uri: cfg.postLogoutRedirectURI,
    step_up_acr: cfg.stepUpAcr,
  });
  // Discovery now only to say early whether passbridge answers; a failure
  // is retried at the first sign-in, so the app may start before it.
  try {
    await app.rp.discover();
  } catch (err) {
    log.warn("passbridge's discovery failed; retrying at the first sign-in", { issuer: cfg.issuer, err: describe(err) });
  }
});

// Stop taking requests, let those in flight finish, then exit.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
