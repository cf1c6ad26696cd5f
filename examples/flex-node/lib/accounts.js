// The site's own user records: which accounts exist, which passkeys
// (passbridge device IDs) each one accepted, and which usernames are being
// signed up, by which browser. The example keeps them in a JSON file; a real
// app keeps them in its database, where "reserve" is an INSERT that a unique
// username column decides atomically.
//
// passbridge proves which passkey signed a ceremony; only the site knows
// whether that ceremony may create an account or sign one in. A sign-up is
// complete when the browser that reserved the username brings back the
// nonce of that username's first passkey; a sign-in counts only with a
// passkey the account accepted.
//
// Every method runs to its end without awaiting, and the file is written
// synchronously, so that each check and the change it allows happen
// together: no other request runs in between (Node runs one piece of
// JavaScript at a time).

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * How long a username stays reserved for the browser that asked to sign it
 * up: longer than passbridge's default transaction lifetime (5 minutes), so
 * the reservation outlives the ceremony it was made for.
 */
export const reservationLifetimeMs = 10 * 60 * 1000;

/** Refuses to forget an account's last passkey. */
export class LastPasskeyError extends Error {}

export class Accounts {
  /** @type {Record<string, {active: boolean, devices?: string[], tokenHash?: string, until?: number, dataDeletionConfirmedAt?: string}>} */
  #byName = {};
  #path;
  #now;

  /**
   * Loads the accounts kept at path (none yet if it does not exist); an
   * empty path keeps them in memory.
   */
  constructor(path, now = Date.now) {
    this.#path = path;
    this.#now = now;
    if (!path) {
      return;
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    let raw;
    try {
      raw = readFileSync(path, "utf8");
    } catch (err) {
      if (err.code === "ENOENT") {
        return;
      }
      throw err;
    }
    try {
      this.#byName = JSON.parse(raw);
    } catch (err) {
      throw new Error(`accounts file ${path}: ${err.message}`);
    }
  }

  /**
   * Claims name for a new sign-up and returns the token the reserving
   * browser must bring back; null when the account exists or another
   * browser's reservation of it has not lapsed. The browser that holds the
   * reservation (its token is held) may ask again, after a cancelled
   * passkey prompt: its reservation starts over, with the same token.
   */
  reserve(name, held) {
    const acc = this.#get(name);
    const mine = Boolean(acc && !acc.active && held && sameDigest(acc.tokenHash, digest(held)));
    if (acc && (acc.active || this.#now() < acc.until) && !mine) {
      return null;
    }
    const token = mine ? held : randomBytes(32).toString("base64url");
    this.#byName[name] = { active: false, tokenHash: digest(token), until: this.#now() + reservationLifetimeMs };
    this.#save();
    return token;
  }

  /** Whether name is an account that finished its sign-up. */
  exists(name) {
    return Boolean(this.#get(name)?.active);
  }

  /**
   * Completes the sign-up of name, reserved with token, with its first
   * passkey, once. False when name is not reserved, is reserved by another
   * browser (another token), its reservation lapsed, or it is an account
   * already.
   */
  activate(name, token, deviceId) {
    const acc = this.#get(name);
    if (!acc || acc.active || !token || this.#now() >= acc.until || !sameDigest(acc.tokenHash, digest(token))) {
      return false;
    }
    this.#byName[name] = { active: true, devices: [deviceId] };
    this.#save();
    return true;
  }

  /** Adds a passkey that the signed-in name registered to its account. */
  accept(name, deviceId) {
    const acc = this.#active(name);
    if (!acc.devices.includes(deviceId)) {
      acc.devices.push(deviceId);
    }
    this.#save();
  }

  /** Whether deviceId is a passkey name's account accepted. */
  accepted(name, deviceId) {
    const acc = this.#get(name);
    return Boolean(acc?.active && acc.devices.includes(deviceId));
  }

  /**
   * Removes deviceId from the passkeys name's account accepted, unless it is
   * the last one the account can sign in with: then it throws
   * LastPasskeyError. live lists the passkeys passbridge holds for the
   * user; only accepted passkeys that passbridge still holds sign in.
   * Returns whether deviceId was accepted, to accept it again if its
   * removal at passbridge fails; removing a passkey the account never
   * accepted changes nothing here.
   */
  forget(name, deviceId, live) {
    const acc = this.#active(name);
    const i = acc.devices.indexOf(deviceId);
    if (i < 0) {
      return false;
    }
    if (!acc.devices.some((id) => id !== deviceId && live.includes(id))) {
      throw new LastPasskeyError("the account's last passkey");
    }
    acc.devices.splice(i, 1);
    this.#save();
    return true;
  }

  /** The passkeys of live (what passbridge holds for name) that name's account accepted: the ones that sign in. */
  signInPasskeys(name, live) {
    const acc = this.#get(name);
    return acc?.active ? live.filter((id) => acc.devices.includes(id)) : [];
  }

  /** Notes that name confirmed "Delete my data" at iso (an ISO 8601 time). */
  recordDataDeletion(name, iso) {
    this.#active(name).dataDeletionConfirmedAt = iso;
    this.#save();
  }

  /** When name last confirmed "Delete my data"; null if never. */
  dataDeletionConfirmedAt(name) {
    const acc = this.#get(name);
    return (acc?.active && acc.dataDeletionConfirmedAt) || null;
  }

  #get(name) {
    return Object.hasOwn(this.#byName, name) ? this.#byName[name] : undefined;
  }

  #active(name) {
    const acc = this.#get(name);
    if (!acc?.active) {
      throw new Error(`no account ${JSON.stringify(name)}`);
    }
    return acc;
  }

  /** Writes the accounts to a new file renamed into place, so a crash leaves the old or the new one. */
  #save() {
    if (!this.#path) {
      return;
    }
    const tmp = join(dirname(this.#path), `.accounts-${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(this.#byName), { mode: 0o600 });
    renameSync(tmp, this.#path);
  }
}

function digest(token) {
  return createHash("sha256").update(token).digest("base64url");
}

function sameDigest(a, b) {
  const x = Buffer.from(a ?? "", "base64url");
  const y = Buffer.from(b, "base64url");
  return x.length === y.length && timingSafeEqual(x, y);
}
