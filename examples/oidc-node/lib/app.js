// The example site: its routes, security headers, and error pages.
import { readFileSync } from "node:fs";

import { CALLBACK_PATH } from "./config.js";
import { Cookies, LOGOUT_COOKIE, SESSION_COOKIE } from "./cookies.js";
import { describe, PageError } from "./errors.js";
import { callback, login } from "./login.js";
import { logout } from "./logout.js";
import { errorPage, indexPage } from "./pages.js";
import { RelyingParty } from "./rp.js";
import { equal, Flows, Sessions } from "./store.js";

const STYLESHEET = readFileSync(new URL("../public/app.css", import.meta.url));

/** The largest form body read (the sign-out form is one token). */
const MAX_FORM_BYTES = 4096;

/**
 * Builds the site from cfg. log has info, warn and error methods taking a
 * message and attributes; now is the clock (ms since the epoch).
 */
export function createApp(cfg, { log, now = Date.now }) {
  const app = {
    cfg,
    log,
    now,
    rp: new RelyingParty(cfg),
    flows: new Flows(now),
    sessions: new Sessions(now),
    cookies: new Cookies(cfg.secure),

    /** The request's live session, if any. */
    currentSession(req) {
      return this.sessions.get(this.cookies.get(req, SESSION_COOKIE));
    },

    redirect(res, status, location) {
      res.writeHead(status, { Location: location }).end();
    },
  };

  const routes = new Map([
    ["GET /", (req, res, url) => index(app, req, res, url)],
    ["GET /login", (req, res, url) => login(app, req, res, url)],
    [`GET ${CALLBACK_PATH}`, (req, res, url) => callback(app, req, res, url)],
    [
      "POST /logout",
      async (req, res) => {
        checkSameOrigin(req, cfg.origin);
        await logout(app, req, res, await readForm(req));
      },
    ],
    [
      "GET /static/app.css",
      (req, res) => {
        res.writeHead(200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "no-cache" }).end(STYLESHEET);
      },
    ],
  ]);

  async function handle(req, res) {
    setSecurityHeaders(app, req, res);
    let url = new URL("/", cfg.origin);
    try {
      url = new URL(req.url, cfg.origin);
      const route = routes.get(`${req.method} ${url.pathname}`);
      if (!route) {
        const known = [...routes.keys()].some((r) => r.endsWith(" " + url.pathname));
        throw new PageError(
          known
            ? { status: 405, code: "method_not_allowed", title: "Not allowed", message: "This page does not take that request." }
            : { status: 404, code: "not_found", title: "Page not found", message: "There is no page at this address." },
        );
      }
      await route(req, res, url);
    } catch (err) {
      fail(app, req, res, url, err);
    }
  }

  return {
    app,
    handle: (req, res) => {
      handle(req, res).catch((err) => {
        log.error("unhandled", { err: describe(err) });
        if (!res.headersSent) {
          res.writeHead(500).end();
        }
      });
    },
  };
}

/** GET /: the signed-in page, or the signed-out one. */
function index(app, req, res, url) {
  const session = app.currentSession(req);
  let signedOut = false;
  const state = url.searchParams.get("state");
  if (!session && state) {
    // Back from passbridge's end-session endpoint: confirm the sign-out
    // only with the state this browser was sent there with.
    const want = app.cookies.get(req, LOGOUT_COOKIE);
    signedOut = want !== "" && equal(state, want);
    app.cookies.clear(res, LOGOUT_COOKIE);
  }
  render(res, 200, indexPage({ session, signedOut }));
}

/**
 * Refuses a request another site's page sent: Sec-Fetch-Site where the
 * browser sends it, else Origin. A request with neither comes from no
 * browser's cross-site form; the sign-out form's token covers it.
 */
function checkSameOrigin(req, origin) {
  const site = req.headers["sec-fetch-site"];
  const from = req.headers.origin;
  const ok = site !== undefined ? site === "same-origin" || site === "none" : from === undefined || from === origin;
  if (!ok) {
    throw new PageError({
      status: 403,
      code: "cross_site_request",
      title: "Request refused",
      message: "This request came from another site, so it was not accepted.",
    });
  }
}

/** Reads a small application/x-www-form-urlencoded body. */
async function readForm(req) {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new PageError({ status: 415, code: "unsupported_form", title: "Request refused", message: "Send the form from this app's page." });
  }
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) {
      throw new PageError({ status: 413, code: "form_too_large", title: "Request refused", message: "The form is too large." });
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** The headers of every answer. */
function setSecurityHeaders(app, req, res) {
  // No script at all; forms post here and go on (by redirect) to
  // passbridge's authorization and end-session endpoints.
  res.setHeader(
    "Content-Security-Policy",
    [
      "default-src 'none'",
      "style-src 'self'",
      "img-src 'self'",
      `form-action 'self' ${app.rp.formOrigins().join(" ")}`,
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
  );
  res.setHeader("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: with no-referrer a browser sends
  // "Origin: null" on the sign-out form, which the origin check refuses.
  res.setHeader("Referrer-Policy", "same-origin");
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  if (app.cfg.secure) {
    res.setHeader("Strict-Transport-Security", "max-age=31536000");
  }
  if (!req.url.startsWith("/static/")) {
    // Pages show who is signed in: no cache may keep them.
    res.setHeader("Cache-Control", "no-store");
  }
}

/**
 * Logs err and shows it. Anything but a PageError is this app's fault: a
 * 500 without details.
 */
function fail(app, req, res, url, err) {
  let e = err;
  if (!(err instanceof PageError)) {
    e = new PageError({
      status: 500,
      code: "internal_error",
      title: "Something went wrong",
      message: "This app failed to answer. Try again in a moment.",
      cause: err,
    });
  }
  // The path only: a callback's query holds the code and state.
  const attrs = { path: url.pathname, status: e.status, code: e.code };
  if (e.cause) {
    attrs.err = describe(e.cause);
  }
  if (e.status >= 500) {
    app.log.error("request failed", attrs);
  } else if (e.status !== 404) {
    app.log.warn("request refused", attrs);
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  render(res, e.status, errorPage(e));
}

function render(res, status, body) {
  res.writeHead(status, { "Content-Type": "text/html; charset=utf-8" }).end(body);
}
