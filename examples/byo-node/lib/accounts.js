// The app's own accounts: which usernames exist, the user ID passbridge
// knows each by, which passkeys each accepted, and which usernames are being
// signed up, by which browser. They are kept in a JSON file; a real app
// keeps them in its database, where reserving a username is an INSERT that
// a unique column decides.
//
// Node runs this module's code on one thread, and no method awaits between
// its check and its change, so each check-and-change is atomic: two
// requests cannot both reserve a username, or both remove an account's
// last passkeys.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * How long a username stays reserved for the browser that started its
 * sign-up: longer than passbridge's ceremony timeout (2 minutes by
 * default), so the reservation outlives the ceremony it was made for.
 */
export const RESERVATION_MS = 10 * 60 * 1000;

/**
 * @typedef {object} Account
 * @property {string} userId the ID passbridge knows the user by (its external ID)
 * @property {boolean} active the sign-up finished
 * @property {string[]} credentials credential IDs of the passkeys the account accepted
 * @property {string} [tokenHash] while not active: the digest of the reserving browser's token
 * @property {number} [reservedUntil] while not active: when the reservation lapses (ms)
 */

export class Accounts {
  /** @type {Map<string, Account>} username → account */
  #byName = new Map();
  #path;
  #now;

  /**
   * Loads the accounts kept at path (none yet if it does not exist); an
   * empty path keeps them in memory only.
   */
  constructor(path, now = Date.now) {
    this.#path = path;
    this.#now = now;
    if (!path) {
      return;
    }
    let raw;
    try {
      raw = readFileSync(path, "utf8");
    } catch (err) {
      if (err.code === "ENOENT") {
        return;
      }
      throw err;
    }
    for (const [name, acc] of Object.entries(JSON.parse(raw))) {
      this.#byName.set(name, acc);
    }
  }

  /**
   * Reserves name for a sign-up by the browser holding token (or a new
   * one) and returns {userId, token}; null when name is taken: an account,
   * or a live reservation of another browser. The same browser asking again
   * (after a cancelled prompt) keeps its reservation and user ID.
   */
  reserve(name, token) {
    const acc = this.#byName.get(name);
    const now = this.#now();
    if (acc?.active) {
      return null;
    }
    if (acc && now < acc.reservedUntil) {
      if (!token || !sameDigest(acc.tokenHash, token)) {
        return null;
      }
      acc.reservedUntil = now + RESERVATION_MS;
      this.#save();
      return { userId: acc.userId, token };
    }
    this.#prune(now);
    // A new reservation gets a new user ID: a ceremony started for a lapsed
    // one can never add a passkey to this one's account.
    const fresh = randomBytes(32).toString("base64url");
    this.#byName.set(name, {
      userId: `usr_${randomBytes(16).toString("hex")}`,
      active: false,
      credentials: [],
      tokenHash: digest(fresh),
      reservedUntil: now + RESERVATION_MS,
    });
    this.#save();
    return { userId: this.#byName.get(name).userId, token: fresh };
  }

  /**
   * The live reservation the browser holding token made: {name, userId},
   * or null.
   */
  reservation(token) {
    if (!token) {
      return null;
    }
    const now = this.#now();
    for (const [name, acc] of this.#byName) {
      if (!acc.active && now < acc.reservedUntil && sameDigest(acc.tokenHash, token)) {
        return { name, userId: acc.userId };
      }
    }
    return null;
  }

  /**
   * Completes the sign-up of name, reserved by the browser holding token,
   * with its first passkey credentialId. false when the reservation is not
   * that browser's, lapsed, or the account exists already.
   */
  activate(name, token, credentialId) {
    const acc = this.#byName.get(name);
    if (!acc || acc.active || !(this.#now() < acc.reservedUntil) || !token || !sameDigest(acc.tokenHash, token)) {
      return false;
    }
    this.#byName.set(name, { userId: acc.userId, active: true, credentials: [credentialId] });
    this.#save();
    return true;
  }

  /** The active account of name: {name, userId, credentials}, or null. */
  byName(name) {
    const acc = this.#byName.get(name);
    return acc?.active ? { name, userId: acc.userId, credentials: [...acc.credentials] } : null;
  }

  /** The active account passbridge knows as userId, or null. */
  byUserId(userId) {
    for (const [name, acc] of this.#byName) {
      if (acc.active && acc.userId === userId) {
        return { name, userId, credentials: [...acc.credentials] };
      }
    }
    return null;
  }

  /** Adds credentialId, registered by the account's own session, to its passkeys. */
  accept(userId, credentialId) {
    const acc = this.#active(userId);
    if (!acc.credentials.includes(credentialId)) {
      acc.credentials.push(credentialId);
      this.#save();
    }
  }

  /**
   * Removes credentialId from the account's passkeys, unless no other
   * passkey would be left to sign in with: of live (the credential IDs
   * passbridge holds for the user), only those the account accepted count.
   * Returns "removed", "last" (refused) or "unknown" (not the account's).
   */
  forget(userId, credentialId, live) {
    const acc = this.#active(userId);
    const i = acc.credentials.indexOf(credentialId);
    if (i < 0) {
      return "unknown";
    }
    const others = acc.credentials.some((id) => id !== credentialId && live.includes(id));
    if (!others) {
      return "last";
    }
    acc.credentials.splice(i, 1);
    this.#save();
    return "removed";
  }

  /** Drops the reservations that lapsed. */
  #prune(now) {
    for (const [name, acc] of this.#byName) {
      if (!acc.active && !(now < acc.reservedUntil)) {
        this.#byName.delete(name);
      }
    }
  }

  #active(userId) {
    for (const acc of this.#byName.values()) {
      if (acc.active && acc.userId === userId) {
        return acc;
      }
    }
    throw new Error(`no account with user ID ${userId}`);
  }

  /**
   * Writes the accounts to a new file renamed into place, so that a crash
   * leaves the old file or the new one, never half of one.
   */
  #save() {
    if (!this.#path) {
      return;
    }
    mkdirSync(dirname(this.#path), { recursive: true, mode: 0o700 });
    const tmp = `${this.#path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.#byName), null, 2), { mode: 0o600 });
    renameSync(tmp, this.#path);
  }
}

function digest(token) {
  return createHash("sha256").update(token).digest("base64url");
}

/** Whether token's digest is want, compared in constant time. */
function sameDigest(want, token) {
  const a = Buffer.from(want ?? "");
  const b = Buffer.from(digest(token));
  return a.length === b.length && timingSafeEqual(a, b);
}
