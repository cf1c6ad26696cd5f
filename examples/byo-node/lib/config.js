// The app's configuration, read from the environment. Every problem is
// reported at once, before the app starts; the API key is never shown.

/** Defaults, as the README documents them. */
export const DEFAULTS = Object.freeze({
  passbridgeURL: "http://localhost:8080",
  host: "127.0.0.1",
  port: 3002,
  accountsFile: "./data/accounts.json",
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

  const passbridgeURL = (get("PASSBRIDGE_URL") || DEFAULTS.passbridgeURL).replace(/\/+$/, "");
  const urlProblem = checkBaseURL(passbridgeURL);
  if (urlProblem) {
    problems.push(`PASSBRIDGE_URL: ${urlProblem}`);
  }

  const appID = get("PASSBRIDGE_APP_ID");
  if (!appID) {
    problems.push("PASSBRIDGE_APP_ID: required (the id `passbridge apps create` printed)");
  } else if (!/^[A-Za-z0-9_-]{1,128}$/.test(appID)) {
    problems.push("PASSBRIDGE_APP_ID: not an app id (letters, digits, - and _ only)");
  }

  const apiKey = get("PASSBRIDGE_API_KEY");
  if (!apiKey) {
    problems.push("PASSBRIDGE_API_KEY: required (the key `passbridge apikeys create` printed)");
  } else if (/[^\x21-\x7e]/.test(apiKey)) {
    problems.push("PASSBRIDGE_API_KEY: holds spaces or characters no API key has");
  }

  const host = get("HOST") || DEFAULTS.host;
  const portText = get("PORT") || String(DEFAULTS.port);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    problems.push(`PORT: ${JSON.stringify(portText)} is not a port number (1-65535)`);
  }

  const siteOrigin = get("SITE_ORIGIN") || `http://localhost:${portText}`;
  const originProblem = checkOrigin(siteOrigin);
  if (originProblem) {
    problems.push(`SITE_ORIGIN: ${originProblem}`);
  }

  const accountsFile = get("ACCOUNTS_FILE") || DEFAULTS.accountsFile;

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return Object.freeze({ passbridgeURL, appID, apiKey, host, port, siteOrigin, accountsFile });
}

/** Why url cannot be passbridge's base URL, or "". */
function checkBaseURL(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not an absolute URL`;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    return "must be an http:// or https:// URL";
  }
  if (u.search || u.hash || u.username || u.password) {
    return "must not carry a query, a fragment or credentials";
  }
  return "";
}

/**
 * Why origin cannot be this site's origin, or "". The browser sends it in
 * the Origin header of every call that changes something, and WebAuthn
 * signs it into every ceremony, so it must be exactly scheme://host[:port].
 */
function checkOrigin(origin) {
  let u;
  try {
    u = new URL(origin);
  } catch {
    return `${JSON.stringify(origin)} is not an origin (scheme://host[:port])`;
  }
  if (u.origin !== origin) {
    return `${JSON.stringify(origin)} is not an origin: write it as ${u.origin}`;
  }
  if (u.protocol === "http:" && u.hostname !== "localhost") {
    return "must be https://, or http://localhost for development (WebAuthn needs a secure context)";
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    return "must be an https:// origin";
  }
  return "";
}
