// The site: its page and static files, and its API. Every call that changes
// something is a JSON POST or DELETE from the site's own page (checked
// before any handler runs); the session lives on the server, its token in
// an HttpOnly cookie.
import { authenticateFinish, authenticateStart, registerFinish, registerStart } from "./ceremonies.js";
import { listPasskeys, removePasskey } from "./devices.js";
import { fromPassbridge } from "./errors.js";
import { ApiError, checkSameOrigin, cookie, readJSON, securityHeaders, sendError, sendJSON, setCookie } from "./http.js";
import { SESSION_COOKIE, SESSION_MS } from "./sessions.js";
import { serveFile } from "./static.js";

/** Routes of the API: "METHOD path" → handler(site, ctx). */
const ROUTES = new Map([
  ["GET /api/me", me],
  ["POST /api/passkeys/register/start", registerStart],
  ["POST /api/passkeys/register/finish", registerFinish],
  ["POST /api/passkeys/authenticate/start", authenticateStart],
  ["POST /api/passkeys/authenticate/finish", authenticateFinish],
  ["GET /api/passkeys", signedIn(listPasskeys)],
  ["POST /api/signout", signOut],
]);

/** The path of one passkey, for DELETE. */
const PASSKEY_PATH = /^\/api\/passkeys\/([A-Za-z0-9_-]{1,1024})$/;

export class Site {
  /**
   * @param {object} deps
   * @param {import("./passbridge.js").Passbridge} deps.pb
   * @param {import("./accounts.js").Accounts} deps.accounts
   * @param {import("./sessions.js").Sessions} deps.sessions
   * @param {Map<string, {body: Buffer, type: string}>} deps.files
   * @param {string} deps.siteOrigin
   * @param {{info: Function, error: Function}} deps.log
   */
  constructor({ pb, accounts, sessions, files, siteOrigin, log }) {
    this.pb = pb;
    this.accounts = accounts;
    this.sessions = sessions;
    this.files = files;
    this.siteOrigin = siteOrigin;
    this.secure = siteOrigin.startsWith("https:");
    this.log = log;
  }

  /** The node:http request listener. */
  handle = (req, res) => {
    this.#serve(req, res).catch((err) => {
      this.log.error("request failed", { method: req.method, path: req.url, error: String(err?.stack ?? err) });
      if (!res.headersSent) {
        sendError(res, new ApiError(500, "internal_error", "Something went wrong on this site. Try again."));
      } else {
        res.destroy();
      }
    });
  };

  async #serve(req, res) {
    securityHeaders(res);
    const path = new URL(req.url, this.siteOrigin).pathname;
    if (!path.startsWith("/api/")) {
      if ((req.method === "GET" || req.method === "HEAD") && serveFile(this.files, path, res)) {
        return;
      }
      sendJSON(res, 404, { code: "not_found", error: "There is no such page." });
      return;
    }
    res.setHeader("Cache-Control", "no-store");
    try {
      const { handler, arg } = this.#route(req.method, path);
      checkSameOrigin(req, this.siteOrigin);
      const ctx = { req, res, body: {}, ...this.#session(req) };
      if (req.method !== "GET" && req.method !== "HEAD") {
        ctx.body = await readJSON(req);
      }
      const out = await handler(this, ctx, arg);
      sendJSON(res, out === undefined ? 204 : 200, out);
    } catch (err) {
      const e = fromPassbridge(err, this.log);
      if (!(e instanceof ApiError)) {
        throw e;
      }
      sendError(res, e);
    }
  }

  #route(method, path) {
    const handler = ROUTES.get(`${method} ${path}`);
    if (handler) {
      return { handler };
    }
    const m = PASSKEY_PATH.exec(path);
    if (m && method === "DELETE") {
      return { handler: signedIn(removePasskey), arg: m[1] };
    }
    const known = m || [...ROUTES.keys()].some((k) => k.endsWith(` ${path}`));
    throw known
      ? new ApiError(405, "method_not_allowed", "This call takes another method.")
      : new ApiError(404, "not_found", "There is no such call.");
  }

  /** The browser's session: {session, token}, session null when signed out. */
  #session(req) {
    const token = cookie(req, SESSION_COOKIE);
    return { session: this.sessions.get(token), token };
  }

  /**
   * Signs the browser in as userId, with the passkey credentialId: a new
   * session (and token) replaces whatever session it had.
   */
  signIn(ctx, userId, name, credentialId) {
    this.sessions.end(ctx.token);
    const token = this.sessions.start(userId, name, credentialId);
    setCookie(ctx.res, SESSION_COOKIE, token, { maxAgeSeconds: SESSION_MS / 1000, secure: this.secure });
    ctx.session = this.sessions.get(token);
    ctx.token = token;
  }

  /**
   * Removes from passbridge a passkey made or used in a ceremony no account
   * accepted, so that it cannot be brought back later. A failure is logged:
   * the passkey still signs in nowhere, since no account lists it.
   */
  async removeRefused(userId, credentialId) {
    try {
      await this.pb.deregister(userId, credentialId);
      this.log.info("refused passkey removed", { user_id: userId, credential_id: credentialId });
    } catch (err) {
      this.log.error("remove a refused passkey", { user_id: userId, credential_id: credentialId, error: err.message });
    }
  }
}

/** Wraps handler so that it runs for a signed-in session only. */
function signedIn(handler) {
  return (site, ctx, arg) => {
    if (!ctx.session) {
      throw new ApiError(401, "not_signed_in", "You are signed out. Sign in again.");
    }
    return handler(site, ctx, arg);
  };
}

/** GET /api/me: who is signed in, or {user: null}. */
function me(_site, ctx) {
  return { user: ctx.session ? { name: ctx.session.name } : null };
}

/** POST /api/signout {}: ends the session. */
function signOut(site, ctx) {
  site.sessions.end(ctx.token);
  setCookie(ctx.res, SESSION_COOKIE, "", { maxAgeSeconds: 0, secure: site.secure });
}
