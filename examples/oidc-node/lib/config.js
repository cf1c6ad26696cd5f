// The app's configuration, read from the environment. Every problem is
// reported at once, before the app starts; the client secret is never
// shown.
import { readFileSync } from "node:fs";
import { isIP } from "node:net";

/** The path this app serves the authorization response at. */
export const CALLBACK_PATH = "/callback";

/**
 * passbridge's acr values, ranked: phr (phishing-resistant: any passkey)
 * below phrh (phishing-resistant hardware: a device-bound passkey). Any
 * other value ranks below them all.
 */
export const ACR_RANK = new Map([
  ["phr", 1],
  ["phrh", 2],
]);

/** Defaults, as the README documents them. */
export const DEFAULTS = Object.freeze({
  issuer: "http://localhost:8080",
  host: "127.0.0.1",
  port: 3000,
  stepUpAcr: "phr",
});

/** A configuration that cannot run; problems lists every reason. */
export class ConfigError extends Error {
  constructor(problems) {
    super(problems.join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/**
 * Reads the configuration from env (process.env), fills in the defaults
 * and throws a ConfigError naming every problem. An empty variable counts
 * as unset.
 */
export function configFromEnv(env) {
  const get = (name) => (env[name] ?? "").trim();
  const problems = [];

  const issuer = get("ISSUER") || DEFAULTS.issuer;
  const issuerProblem = checkURL(issuer, { query: false, path: true });
  if (issuerProblem) {
    problems.push(`ISSUER: ${issuerProblem}`);
  }

  const clientId = get("CLIENT_ID");
  if (!clientId) {
    problems.push("CLIENT_ID is required: the client_id `passbridge clients create` printed");
  }
  const clientSecret = readSecret(get("CLIENT_SECRET"), get("CLIENT_SECRET_FILE"), problems);

  let port = DEFAULTS.port;
  if (get("PORT")) {
    port = Number(get("PORT"));
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`PORT ${JSON.stringify(get("PORT"))} is not a port number (1-65535)`);
      port = DEFAULTS.port;
    }
  }
  const host = get("HOST") || DEFAULTS.host;

  // The app's public origin: BASE_URL's, else REDIRECT_URI's, else
  // http://localhost:PORT.
  let origin = `http://localhost:${port}`;
  const baseURL = get("BASE_URL");
  if (baseURL) {
    const p = checkURL(baseURL, { query: false, path: false });
    if (p) {
      problems.push(`BASE_URL: ${p}`);
    } else {
      origin = new URL(baseURL).origin;
    }
  }
  let redirectURI = get("REDIRECT_URI");
  if (redirectURI) {
    const p = checkURL(redirectURI, { query: true, path: true });
    if (p) {
      problems.push(`REDIRECT_URI: ${p}`);
    } else {
      const u = new URL(redirectURI);
      if (u.pathname !== CALLBACK_PATH) {
        problems.push(`REDIRECT_URI ${JSON.stringify(redirectURI)} must end in ${CALLBACK_PATH}, the path this app serves`);
      }
      if (baseURL && u.origin !== origin) {
        problems.push(`REDIRECT_URI ${JSON.stringify(redirectURI)} must be on BASE_URL's origin ${origin}`);
      }
      if (!baseURL) {
        origin = u.origin;
      }
    }
  } else {
    redirectURI = origin + CALLBACK_PATH;
  }

  const postLogoutRedirectURI = get("POST_LOGOUT_REDIRECT_URI") || origin + "/";
  const logoutProblem = checkURL(postLogoutRedirectURI, { query: true, path: true });
  if (logoutProblem) {
    problems.push(`POST_LOGOUT_REDIRECT_URI: ${logoutProblem}`);
  } else if (new URL(postLogoutRedirectURI).origin !== origin) {
    problems.push(`POST_LOGOUT_REDIRECT_URI ${JSON.stringify(postLogoutRedirectURI)} must be on this app's origin ${origin}`);
  }

  const stepUpAcr = get("STEP_UP_ACR") || DEFAULTS.stepUpAcr;
  if (!ACR_RANK.has(stepUpAcr)) {
    problems.push(`STEP_UP_ACR ${JSON.stringify(stepUpAcr)} is not one of ${[...ACR_RANK.keys()].join(", ")}`);
  }

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return new Config({ issuer, clientId, clientSecret, origin, redirectURI, postLogoutRedirectURI, stepUpAcr, host, port });
}

/** What the app needs to run. */
export class Config {
  #clientSecret;

  constructor({ issuer, clientId, clientSecret, origin, redirectURI, postLogoutRedirectURI, stepUpAcr, host, port }) {
    /** passbridge's issuer, exactly as its discovery document states it. */
    this.issuer = issuer;
    this.clientId = clientId;
    // Private: no log or JSON.stringify of the configuration shows it.
    this.#clientSecret = clientSecret;
    /** The app's public origin; cookies are Secure when it is https. */
    this.origin = origin;
    this.redirectURI = redirectURI;
    this.postLogoutRedirectURI = postLogoutRedirectURI;
    /** The least acr a step-up asks for and accepts. */
    this.stepUpAcr = stepUpAcr;
    this.host = host;
    this.port = port;
    Object.freeze(this);
  }

  get clientSecret() {
    return this.#clientSecret;
  }

  /** True when the app is served over https. */
  get secure() {
    return this.origin.startsWith("https:");
  }
}

/**
 * The client secret, from CLIENT_SECRET or from the file CLIENT_SECRET_FILE
 * names (without the line break an editor or `echo` leaves at its end).
 */
function readSecret(secret, file, problems) {
  if (secret && file) {
    problems.push("set CLIENT_SECRET or CLIENT_SECRET_FILE, not both");
    return "";
  }
  if (file) {
    let raw;
    try {
      raw = readFileSync(file, "utf8").trim();
    } catch (err) {
      problems.push(`CLIENT_SECRET_FILE: cannot read ${file}: ${err.code ?? err.message}`);
      return "";
    }
    if (!raw) {
      problems.push(`CLIENT_SECRET_FILE: ${file} is empty`);
    }
    return raw;
  }
  if (!secret) {
    problems.push("CLIENT_SECRET (or CLIENT_SECRET_FILE) is required: the client_secret `passbridge clients create` printed");
  }
  return secret;
}

/**
 * Says what is wrong with raw as an absolute http(s) URL without
 * credentials or a fragment (nor a query unless query, nor a path unless
 * path); https unless its host is a loopback name, since plain http would
 * carry codes and cookies in the clear. "" when nothing is.
 */
export function checkURL(raw, { query, path }) {
  let u;
  try {
    u = new URL(raw);
  } catch {
    return `${JSON.stringify(raw)} is not an absolute URL`;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    return `${JSON.stringify(raw)} is not an http(s) URL`;
  }
  if (u.username || u.password || u.hash || raw.includes("#") || (!query && u.search)) {
    return `${JSON.stringify(raw)} must not carry credentials, a fragment${query ? "" : " or a query"}`;
  }
  if (!path && u.pathname !== "/") {
    return `${JSON.stringify(raw)} must be an origin, without a path`;
  }
  if (u.protocol === "http:" && !isLoopback(u.hostname)) {
    return `${JSON.stringify(raw)} must be https (http only on localhost)`;
  }
  return "";
}

/** True for localhost names and loopback addresses. */
export function isLoopback(hostname) {
  const host = hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost")) {
    return true;
  }
  if (isIP(host) === 4) {
    return host.startsWith("127.");
  }
  return isIP(host) === 6 && host === "::1";
}
