// The site's own sign-ins, kept in memory: a restart signs everyone out,
// which an example can afford. passbridge only proves who the user is; what
// a sign-in grants, and for how long, is the site's business.

import { randomBytes } from "node:crypto";

import { cookies, setCookie } from "./http.js";

/** The cookie that carries the session id. */
export const sessionCookie = "flexnode_session";

/** How long a sign-in lasts. */
const sessionLifetimeMs = 12 * 60 * 60 * 1000;

export class Sessions {
  /** @type {Map<string, {username: string, expires: number, confirming: Map<string, number>}>} */
  #byId = new Map();
  #now;

  constructor(now = Date.now) {
    this.#now = now;
  }

  /**
   * Signs username in: a new random session id, in a cookie that scripts
   * cannot read and that cross-site subrequests do not carry.
   */
  start(req, res, username) {
    const now = this.#now();
    for (const [id, s] of this.#byId) {
      if (now >= s.expires) {
        this.#byId.delete(id);
      }
    }
    const id = randomBytes(32).toString("base64url");
    // confirming holds, per sensitive action, when the session asked to
    // confirm it with a passkey (see confirm.js).
    this.#byId.set(id, { username, expires: now + sessionLifetimeMs, confirming: new Map() });
    setCookie(req, res, sessionCookie, id, { maxAge: sessionLifetimeMs / 1000 });
  }

  /** Who the request's session signed in, or null. */
  user(req) {
    return this.#current(req)?.username ?? null;
  }

  /**
   * Records that the request's session, signed in as username, asked now to
   * confirm action; it replaces an earlier request of the same action. False
   * when the session has ended or belongs to someone else by now.
   */
  beginConfirmation(req, username, action) {
    const s = this.#current(req);
    if (!s || s.username !== username) {
      return false;
    }
    s.confirming.set(action, this.#now());
    return true;
  }

  /**
   * Who the request's session signed in (null: nobody) and when it asked to
   * confirm action (null: it did not); forgets that request, since each one
   * is good for one attempt.
   */
  takeConfirmation(req, action) {
    const s = this.#current(req);
    if (!s) {
      return { username: null, asked: null };
    }
    const asked = s.confirming.get(action) ?? null;
    s.confirming.delete(action);
    return { username: s.username, asked };
  }

  /** Signs the request's session out and clears its cookie. */
  end(req, res) {
    const id = cookies(req)[sessionCookie];
    if (id) {
      this.#byId.delete(id);
    }
    setCookie(req, res, sessionCookie, "", { maxAge: -1 });
  }

  #current(req) {
    const id = cookies(req)[sessionCookie];
    const s = id ? this.#byId.get(id) : undefined;
    if (!s || this.#now() >= s.expires) {
      return null;
    }
    return s;
  }
}
