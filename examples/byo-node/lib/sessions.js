// Server-side sessions: the browser holds a random token in an HttpOnly
// cookie, the server a record under the token's digest. A restart signs
// everyone out; a real app keeps them in its database or cache.
import { createHash, randomBytes } from "node:crypto";

/** The session cookie's name. */
export const SESSION_COOKIE = "byo_session";

/** How long a session lasts from sign-in, whatever happens in between. */
export const SESSION_MS = 12 * 60 * 60 * 1000;

/**
 * @typedef {object} Session
 * @property {string} userId the ID passbridge knows the user by
 * @property {string} name the username
 * @property {string} credentialId the passkey the session signed in with
 * @property {number} expires when the session ends (ms)
 */

export class Sessions {
  /** @type {Map<string, Session>} token digest → session */
  #byDigest = new Map();
  #now;

  constructor(now = Date.now) {
    this.#now = now;
  }

  /**
   * Starts a session and returns its token for the cookie. The caller
   * ends the browser's previous session first: a sign-in never reuses a
   * token the browser had before (session fixation).
   */
  start(userId, name, credentialId) {
    const token = randomBytes(32).toString("base64url");
    const now = this.#now();
    for (const [d, s] of this.#byDigest) {
      if (s.expires <= now) {
        this.#byDigest.delete(d);
      }
    }
    this.#byDigest.set(digest(token), { userId, name, credentialId, expires: now + SESSION_MS });
    return token;
  }

  /** The live session of token, or null. */
  get(token) {
    if (!token) {
      return null;
    }
    const s = this.#byDigest.get(digest(token));
    if (!s || s.expires <= this.#now()) {
      return null;
    }
    return s;
  }

  /** Ends the session of token, if any. */
  end(token) {
    if (token) {
      this.#byDigest.delete(digest(token));
    }
  }
}

function digest(token) {
  return createHash("sha256").update(token).digest("base64url");
}
