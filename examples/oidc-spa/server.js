// oidc-spa's server. It serves static files and nothing else: the pages in
// public/, the browser build of oidc-client-ts straight from node_modules,
// and /config.js, the page's configuration made from the environment. The
// sign-in itself happens in the browser, between the page and passbridge:
// this server never sees a token, holds no session and sets no cookie.
//
// Environment: ISSUER (passbridge's issuer), CLIENT_ID (a public client's
// ID), PORT (3001), APP_URL (http://localhost:PORT, the URL the app is
// opened at), HOST (127.0.0.1, the address to listen on).
import http from "node:http";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const publicDir = path.join(here, "public");
const libraryDir = path.join(here, "node_modules", "oidc-client-ts", "dist", "browser");

// What the server answers, by path; nothing else is served, so no path can
// reach a file beside these (server.js, node_modules, ...).
const files = new Map([
  ["/", path.join(publicDir, "index.html")],
  ["/callback.html", path.join(publicDir, "callback.html")],
  ["/app.js", path.join(publicDir, "app.js")],
  ["/callback.js", path.join(publicDir, "callback.js")],
  ["/auth.js", path.join(publicDir, "auth.js")],
  ["/app.css", path.join(publicDir, "app.css")],
  // The library's browser build: one classic script that defines the
  // global `oidc`. (Its ESM build imports the bare specifier "jwt-decode",
  // which a browser resolves only through an import map: inline script,
  // which the Content-Security-Policy forbids.)
  ["/vendor/oidc-client-ts.min.js", path.join(libraryDir, "oidc-client-ts.min.js")],
  ["/vendor/oidc-client-ts.min.js.map", path.join(libraryDir, "oidc-client-ts.min.js.map")],
]);

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/** Whether host (a URL's hostname) is this machine, where http is allowed. */
function isLoopback(host) {
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

/**
 * Reads the configuration from env and returns it with every problem
 * found (an empty list when it is usable).
 */
export function loadConfig(env) {
  const problems = [];
  const value = (name) => (env[name] ?? "").trim();

  const issuer = value("ISSUER") || "http://localhost:8080";
  let issuerURL = null;
  try {
    issuerURL = new URL(issuer);
  } catch {
    problems.push(`ISSUER ${JSON.stringify(issuer)} is not an absolute URL`);
  }
  if (issuerURL) {
    if (issuerURL.protocol !== "https:" && !(issuerURL.protocol === "http:" && isLoopback(issuerURL.hostname))) {
      problems.push(`ISSUER ${JSON.stringify(issuer)} must be https:// (http:// only on localhost)`);
    }
    if (issuerURL.search || issuerURL.hash || issuer.endsWith("/") || issuerURL.username || issuerURL.password) {
      problems.push(
        `ISSUER ${JSON.stringify(issuer)} must be passbridge's issuer exactly as its discovery document states it: ` +
          "no query, fragment, credentials or trailing slash",
      );
    }
  }

  const clientId = value("CLIENT_ID");
  if (!clientId) {
    problems.push("CLIENT_ID is required: the client_id of a public client (passbridge clients create --public)");
  } else if (clientId.length > 256 || !/^[\x21-\x7e]+$/.test(clientId)) {
    problems.push("CLIENT_ID must be printable ASCII without spaces, at most 256 characters");
  }

  const portText = value("PORT") || "3001";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    problems.push(`PORT ${JSON.stringify(portText)} is not a port number (1-65535)`);
  }

  const appURLText = value("APP_URL") || `http://localhost:${portText}`;
  let appURL = null;
  try {
    appURL = new URL(appURLText);
  } catch {
    problems.push(`APP_URL ${JSON.stringify(appURLText)} is not an absolute URL`);
  }
  if (appURL) {
    if (appURL.protocol !== "https:" && !(appURL.protocol === "http:" && isLoopback(appURL.hostname))) {
      problems.push(`APP_URL ${JSON.stringify(appURLText)} must be https:// (http:// only on localhost)`);
    }
    if (appURL.pathname !== "/" || appURL.search || appURL.hash || appURL.username || appURL.password) {
      problems.push(`APP_URL ${JSON.stringify(appURLText)} must be an origin, such as http://localhost:3001`);
    }
  }

  const host = value("HOST") || "127.0.0.1";
  if (problems.length > 0) {
    return { config: null, problems };
  }
  return {
    config: {
      issuer,
      issuerOrigin: issuerURL.origin,
      clientId,
      port,
      host,
      appURL: appURL.origin,
      appHost: appURL.host,
      https: appURL.protocol === "https:",
    },
    problems,
  };
}

/** The page's configuration, as an ES module the pages import. */
function configModule(config) {
  const page = {
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: `${config.appURL}/callback.html`,
    postLogoutRedirectUri: `${config.appURL}/`,
  };
  return (
    "// Made by server.js from its environment.\n" + `export default Object.freeze(${JSON.stringify(page, null, 2)});\n`
  );
}

/** The headers of every answer. */
function securityHeaders(config) {
  const headers = {
    // Scripts and styles of this origin only, no inline script or style;
    // the page talks to this origin and to passbridge, nowhere else. No
    // frames: with a refresh token the library needs no hidden iframe.
    "Content-Security-Policy": [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self'",
      `connect-src 'self' ${config.issuerOrigin}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "X-Content-Type-Options": "nosniff",
    // The callback's URL carries the authorization code: it is sent to no
    // one as a Referer.
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
  };
  if (config.https) {
    headers["Strict-Transport-Security"] = "max-age=31536000";
  }
  return headers;
}

/** The request handler. */
export function handler(config) {
  const serve = fileServer(config);
  return (req, res) => {
    serve(req, res).catch((err) => {
      console.error(`${req.method} ${pathOf(req) ?? "(bad path)"}: ${err.stack ?? err}`);
      if (!res.headersSent) {
        send(req, res, 500, "text/plain; charset=utf-8", "no-store", "Internal error: see the server's log.\n");
      } else {
        res.destroy();
      }
    });
  };
}

/** Answers a request with a file, the configuration, or an error. */
function fileServer(config) {
  const common = securityHeaders(config);
  const configJS = configModule(config);
  return async (req, res) => {
    for (const [name, value] of Object.entries(common)) {
      res.setHeader(name, value);
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
      res.end("Method not allowed\n");
      return;
    }
    const pathname = pathOf(req);
    if (pathname === null) {
      send(req, res, 400, "text/plain; charset=utf-8", "no-store", "Bad request\n");
      return;
    }
    // One origin only: the redirect URIs registered with passbridge name
    // it, so a page opened at another (127.0.0.1 for localhost) could not
    // sign in.
    if (req.headers.host !== config.appHost) {
      res.writeHead(308, { Location: config.appURL + pathname });
      res.end();
      return;
    }
    if (pathname === "/config.js") {
      send(req, res, 200, types[".js"], "no-store", configJS);
      return;
    }
    const file = files.get(pathname);
    if (!file) {
      send(req, res, 404, "text/plain; charset=utf-8", "no-store", "Not found\n");
      return;
    }
    let body;
    try {
      body = await readFile(file);
    } catch (err) {
      console.error(`read ${file}: ${err.message}`);
      send(req, res, 500, "text/plain; charset=utf-8", "no-store", "This file is missing: see the server's log.\n");
      return;
    }
    const type = types[path.extname(file)];
    // Pages are read afresh (they carry no version); the rest revalidates.
    send(req, res, 200, type, type.startsWith("text/html") ? "no-store" : "no-cache", body);
  };
}

/** The request's path (its query left out: the callback's carries the code), or null. */
function pathOf(req) {
  try {
    return new URL(req.url, "http://x").pathname;
  } catch {
    return null;
  }
}

function send(req, res, status, type, cache, body) {
  res.writeHead(status, { "Content-Type": type, "Cache-Control": cache, "Content-Length": Buffer.byteLength(body) });
  res.end(req.method === "HEAD" ? undefined : body);
}

async function main() {
  const { config, problems } = loadConfig(process.env);
  try {
    await stat(files.get("/vendor/oidc-client-ts.min.js"));
  } catch {
    problems.push("oidc-client-ts is not installed: run npm ci (or npm start) in this directory");
  }
  if (problems.length > 0) {
    console.error("oidc-spa cannot start:\n" + problems.map((p) => `  - ${p}`).join("\n"));
    process.exit(2);
  }
  // No request is logged: the callback's URL carries the authorization code.
  const server = http.createServer(handler(config));
  server.on("error", (err) => {
    console.error(`oidc-spa cannot listen on ${config.host}:${config.port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    console.log(`oidc-spa: open ${config.appURL}/ (issuer ${config.issuer}, client ${config.clientId})`);
  });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => server.close(() => process.exit(0)));
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
