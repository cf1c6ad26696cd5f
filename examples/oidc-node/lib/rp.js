// This app as passbridge's client: openid-client's Configuration, made
// from passbridge's discovery document at the first need and kept once it
// succeeded, so that the app may start before passbridge does.
import * as client from "openid-client";

import { isLoopback } from "./config.js";

/** Seconds each call to passbridge may take. */
const TIMEOUT = 10;

export class RelyingParty {
  #cfg;
  #config = null;
  #pending = null;
  #origins;

  constructor(cfg) {
    this.#cfg = cfg;
    this.#origins = [new URL(cfg.issuer).origin];
  }

  /**
   * passbridge's Configuration: discovery (OIDC Discovery 1.0 §4) unless it
   * succeeded before. openid-client checks that the document's issuer is
   * exactly the configured one (§4.3).
   */
  async discover() {
    if (this.#config) {
      return this.#config;
    }
    this.#pending ??= this.#discover().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async #discover() {
    const cfg = this.#cfg;
    const issuer = new URL(cfg.issuer);
    // Check the ID token's signature with the keys of passbridge's jwks_uri
    // too, not only its claims: openid-client may leave it out for a token
    // that came straight from the token endpoint over TLS, which an http
    // issuer on localhost is not.
    const execute = [client.enableNonRepudiationChecks];
    if (issuer.protocol === "http:" && isLoopback(issuer.hostname)) {
      // openid-client speaks https only. A passbridge on this machine
      // (go run ./cmd/passbridge serve: http://localhost:8080) is the one
      // exception; the configuration refuses http anywhere else.
      execute.push(client.allowInsecureRequests);
    }
    const config = await client.discovery(
      issuer,
      cfg.clientId,
      { client_secret: cfg.clientSecret },
      client.ClientSecretBasic(cfg.clientSecret),
      { execute, timeout: TIMEOUT },
    );
    const m = config.serverMetadata();
    for (const u of [m.authorization_endpoint, m.end_session_endpoint]) {
      if (!u) {
        continue;
      }
      const o = new URL(u).origin;
      if (!this.#origins.includes(o)) {
        this.#origins.push(o);
      }
    }
    this.#config = config;
    return config;
  }

  /**
   * The origins the page's forms may end up at, by redirect: the issuer's,
   * and once discovered those of its authorization and end-session
   * endpoints.
   */
  formOrigins() {
    return this.#origins;
  }
}
