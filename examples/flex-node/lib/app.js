// The example site: its page, its static files and its API, on node:http.

import { readFileSync } from "node:fs";

import { Accounts } from "./accounts.js";
import { authenticate, me, register, signOut, verify } from "./api.js";
import { deleteData, startConfirmation } from "./confirm.js";
import { renameDevice, revokeDevice } from "./devices.js";
import { ApiError, sameOrigin, sendJSON } from "./http.js";
import { PassageError, PassageFlex } from "./passbridge-flex.js";
import { Sessions } from "./sessions.js";

const web = new URL("../web/", import.meta.url);

/** The static files, read once; nothing else under /static/ is served. */
const staticTypes = {
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
  "passkey.svg": "image/svg+xml",
};

/**
 * Checks that raw is an absolute http(s) URL and returns its origin, the
 * form a Content-Security-Policy source takes.
 */
export function passbridgeOrigin(raw) {
  let u;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`${JSON.stringify(raw)} is not an absolute http(s) URL`);
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || !u.host) {
    throw new Error(`${JSON.stringify(raw)} is not an absolute http(s) URL`);
  }
  if (u.search || u.hash || u.username || u.password) {
    throw new Error(`${JSON.stringify(raw)} must not carry credentials, a query or a fragment`);
  }
  return u.origin;
}

function escapeHTML(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What the handlers share: passbridge, the accounts, the sessions, the clock and the log. */
export class Site {
  /**
   * @param {{passbridgeUrl: string, appId: string, apiKey: string, accountsFile: string,
   *   now?: () => number, log?: {info: Function, warn: Function, error: Function}}} config
   */
  constructor(config) {
    const origin = passbridgeOrigin(config.passbridgeUrl);
    const passbridgeUrl = config.passbridgeUrl.replace(/\/+$/, "");
    this.now = config.now ?? Date.now;
    this.log = config.log ?? { info() {}, warn() {}, error() {} };
    // As on Passage, but for the import and baseUrl: where passbridge
    // answers.
    this.passage = new PassageFlex({ appId: config.appId, apiKey: config.apiKey, baseUrl: passbridgeUrl });
    this.accounts = new Accounts(config.accountsFile, this.now);
    this.sessions = new Sessions(this.now);
    this.page = readFileSync(new URL("index.html", web), "utf8")
      .replaceAll("{{appId}}", escapeHTML(config.appId))
      .replaceAll("{{passbridgeUrl}}", escapeHTML(passbridgeUrl));
    this.static = new Map(Object.entries(staticTypes).map(([name, type]) =>
      [name, { type, body: readFileSync(new URL(`static/${name}`, web)) }]));
    // The page runs its own script and the SDK module imported from
    // passbridge, and talks to this backend and to passbridge's client API;
    // nothing else. Authenticator icons are data: URIs.
    this.csp = [
      "default-src 'none'",
      `script-src 'self' ${origin}`,
      `connect-src 'self' ${origin}`,
      "style-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join("; ");
    this.routes = {
      "POST /api/register": register,
      "POST /api/authenticate": authenticate,
      "POST /api/verify": verify,
      "GET /api/me": me,
      "POST /api/signout": signOut,
      "PATCH /api/devices/:id": renameDevice,
      "DELETE /api/devices/:id": revokeDevice,
      "POST /api/delete-data/start": startConfirmation("delete_data"),
      "POST /api/delete-data": deleteData,
    };
  }

  /** The node:http request listener. */
  handle = async (req, res) => {
    const path = pathOf(req);
    res.setHeader("Content-Security-Policy", this.csp);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "same-origin");
    const api = path.startsWith("/api/");
    if (api) {
      res.setHeader("Cache-Control", "no-store");
    }
    try {
      if (!["GET", "HEAD", "OPTIONS"].includes(req.method) && !sameOrigin(req)) {
        throw new ApiError(403, "cross_origin_request", "this call is accepted from this site's own pages only");
      }
      if (api) {
        await this.#api(req, res, path);
      } else {
        this.#serveFile(req, res, path);
      }
    } catch (err) {
      this.fail(req, res, err);
    }
  };

  async #api(req, res, path) {
    let route = `${req.method} ${path}`;
    let id;
    const device = /^\/api\/devices\/([^/]+)$/.exec(path);
    if (device) {
      route = `${req.method} /api/devices/:id`;
      try {
        id = decodeURIComponent(device[1]);
      } catch {
        throw new ApiError(400, "invalid_request", "the passkey ID is not valid");
      }
    }
    const handler = this.routes[route];
    if (handler) {
      await handler(this, req, res, id);
      return;
    }
    const known = Object.keys(this.routes).some((r) => r.endsWith(` ${device ? "/api/devices/:id" : path}`));
    throw known
      ? new ApiError(405, "method_not_allowed", "this call does not take this method")
      : new ApiError(404, "not_found", "no such call");
  }

  #serveFile(req, res, path) {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache" });
      res.end(req.method === "HEAD" ? undefined : this.page);
      return;
    }
    const file = path.startsWith("/static/") ? this.static.get(path.slice("/static/".length)) : undefined;
    if (!file) {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    res.writeHead(200, { "Content-Type": file.type, "Cache-Control": "no-cache" });
    res.end(req.method === "HEAD" ? undefined : file.body);
  }

  /**
   * Answers with err. A passbridge refusal of what the person asked for (an
   * unknown user, a used nonce, …) reaches the page with passbridge's status
   * and code; anything that means this site is misconfigured or passbridge
   * is down is logged and reported without details.
   */
  fail(req, res, err) {
    const path = pathOf(req);
    if (res.headersSent) {
      this.log.error("request failed after its answer began", { path, err: String(err) });
      res.destroy();
    } else if (err instanceof ApiError) {
      sendJSON(res, err.status, { code: err.code, error: err.message });
    } else if (err instanceof PassageError && err.statusCode >= 400 && err.statusCode < 500 &&
      err.errorCode !== "invalid_access_token" && err.errorCode !== "app_not_found") {
      sendJSON(res, err.statusCode, { code: err.errorCode, error: err.message });
    } else if (err instanceof PassageError && err.statusCode < 500) {
      this.log.error("passbridge refused this site's credentials", { path, err: `${err.errorCode}: ${err.message}` });
      sendJSON(res, 500, { code: "server_misconfigured", error: "this site's passkey service is misconfigured" });
    } else if (err instanceof PassageError || unreachable(err)) {
      this.log.error("passbridge call failed", { path, err: String(err?.cause ?? err) });
      sendJSON(res, 502, { code: "passkeys_unavailable", error: "passkeys are unavailable right now; try again in a moment" });
    } else {
      this.log.error("request failed", { path, err: err?.stack ?? String(err) });
      sendJSON(res, 500, { code: "internal_error", error: "something went wrong on this site; try again" });
    }
  }
}

/** The path of the request's target, without its query. */
function pathOf(req) {
  return (req.url ?? "/").split("?")[0];
}

/** Whether err is fetch's failure to reach passbridge, or its timeout. */
function unreachable(err) {
  return err?.name === "TimeoutError" || (err instanceof TypeError && err.message === "fetch failed");
}
