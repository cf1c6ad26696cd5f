// What the app keeps on the server, in memory: the sign-ins in progress
// (flows) and the signed-in browsers (sessions). The browser holds only
// their random IDs, in cookies. A restart forgets both, which an example
// can afford; a real app keeps sessions in its database.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** How long a sign-in may take, from /login to the callback (ms). */
export const FLOW_LIFETIME = 10 * 60 * 1000;

/** How long a sign-in to this app lasts (ms): the app's choice. */
export const SESSION_LIFETIME = 8 * 60 * 60 * 1000;

/**
 * Bounds the flows kept, so that a client calling /login in a loop cannot
 * grow them without end.
 */
const MAX_FLOWS = 10000;

/** A random ID or token: 256 bits, base64url. */
export function randomId() {
  return randomBytes(32).toString("base64url");
}

/** Compares two secrets in constant time. */
export function equal(a, b) {
  if (typeof a !== "string" || typeof b !== "string") {
    return false;
  }
  // Digests first, so that the lengths compared are equal.
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}

export class NoFlowError extends Error {}
export class WrongStateError extends Error {}
export class TooManyFlowsError extends Error {}

/**
 * The sign-ins in progress, by ID. A flow is what /login sent passbridge
 * and the callback must find again: state (RFC 6749 §10.12), nonce (OIDC
 * Core §3.1.2.1), PKCE verifier (RFC 7636), and for a step-up the session
 * and user it confirms.
 */
export class Flows {
  #byId = new Map();
  #now;

  constructor(now = Date.now) {
    this.#now = now;
  }

  /** Keeps flow and returns its new random ID. */
  add(flow) {
    const now = this.#now();
    for (const [id, f] of this.#byId) {
      if (now - f.started > FLOW_LIFETIME) {
        this.#byId.delete(id);
      }
    }
    if (this.#byId.size >= MAX_FLOWS) {
      throw new TooManyFlowsError("too many sign-ins in progress");
    }
    const id = randomId();
    this.#byId.set(id, { ...flow, started: now });
    return id;
  }

  /**
   * Returns flow id and forgets it, so that a callback is accepted once. A
   * state that is not the flow's leaves the flow in place: an answer that is
   * not this browser's must not cancel the sign-in it has under way.
   */
  take(id, state) {
    const f = id ? this.#byId.get(id) : undefined;
    if (!f || this.#now() - f.started > FLOW_LIFETIME) {
      if (id) {
        this.#byId.delete(id);
      }
      throw new NoFlowError("no sign-in in progress");
    }
    if (!equal(state ?? "", f.state)) {
      throw new WrongStateError("state does not match");
    }
    this.#byId.delete(id);
    return f;
  }
}

/**
 * The app's sign-ins, by ID. A session holds the ID token's claims, the raw
 * ID token (sent back as id_token_hint at sign-out), the token the
 * sign-out form must carry, and the last step-up.
 */
export class Sessions {
  #byId = new Map();
  #now;

  constructor(now = Date.now) {
    this.#now = now;
  }

  /**
   * Keeps session under a new random ID (with a new CSRF token) and forgets
   * the one it replaces: every sign-in and step-up gets a fresh ID, so an ID
   * known before (session fixation) is worth nothing after.
   */
  start(session, replaces) {
    const now = this.#now();
    for (const [id, s] of this.#byId) {
      if (now >= s.expires) {
        this.#byId.delete(id);
      }
    }
    if (replaces) {
      this.#byId.delete(replaces);
    }
    const s = { ...session, id: randomId(), csrf: randomId(), expires: now + SESSION_LIFETIME };
    this.#byId.set(s.id, s);
    return s;
  }

  /** The live session id names, or undefined. */
  get(id) {
    const s = id ? this.#byId.get(id) : undefined;
    if (!s || this.#now() >= s.expires) {
      return undefined;
    }
    return s;
  }

  /** Forgets session id. */
  end(id) {
    this.#byId.delete(id);
  }
}
