// Sign-up, sign-in and the account: the calls the page makes before and
// after a passkey ceremony.

import { reservationLifetimeMs } from "./accounts.js";
import { meDevices } from "./devices.js";
import { ApiError, cookies, notSignedIn, readJSON, sendJSON, setCookie } from "./http.js";
import { PassageError } from "./passbridge-flex.js";

/** The cookie that carries the token of the browser's pending sign-up. */
export const signupCookie = "flexnode_signup";

/**
 * Checks what a person typed as a username: 1 to 64 visible characters, no
 * spaces. The username is the external ID passbridge knows the user by.
 */
export function username(raw) {
  const name = typeof raw === "string" ? raw.trim() : "";
  if (name === "" || [...name].length > 64 || /[\s\p{C}]/u.test(name)) {
    throw new ApiError(400, "invalid_username", "enter a username of 1 to 64 characters, without spaces");
  }
  return name;
}

/** The passkeys passbridge holds for externalId; none when it does not know the user. */
export async function devicesOf(site, externalId) {
  try {
    return await site.passage.user.listDevices(externalId);
  } catch (err) {
    if (err instanceof PassageError && err.errorCode === "user_not_found") {
      return [];
    }
    throw err;
  }
}

/**
 * POST /api/register {username}: starts a passkey registration. Signed in,
 * it adds a passkey to the session's own account. Signed out, it signs up a
 * new username, and only a new one: the username is reserved for this
 * browser, atomically, and verify completes the sign-up only for the
 * browser that reserved it and only with the account's first passkey.
 * Otherwise anyone could add their passkey to someone else's account.
 */
export async function register(site, req, res) {
  const body = await readJSON(req);
  let name = site.sessions.user(req);
  if (name === null) {
    name = username(body.username);
    const taken = new ApiError(409, "username_taken", `${name} is taken: sign in, or choose another username`);
    if (site.accounts.exists(name)) {
      throw taken;
    }
    // A user passbridge holds passkeys of is taken too, whatever this site's
    // records say.
    if ((await devicesOf(site, name)).length > 0) {
      throw taken;
    }
    const token = site.accounts.reserve(name, cookies(req)[signupCookie]);
    if (token === null) {
      throw taken;
    }
    setCookie(req, res, signupCookie, token, { path: "/api/", maxAge: reservationLifetimeMs / 1000 });
  }
  const transactionId = await site.passage.auth.createRegisterTransaction(name, name);
  sendJSON(res, 200, { transaction_id: transactionId });
}

/**
 * POST /api/authenticate {username}: a sign-in bound to a username; the
 * person said who they are, and passbridge accepts only a passkey of that
 * user.
 */
export async function authenticate(site, req, res) {
  const name = username((await readJSON(req)).username);
  const transactionId = await site.passage.auth.createAuthenticateTransaction(name);
  sendJSON(res, 200, { transaction_id: transactionId });
}

/**
 * POST /api/verify {nonce}: redeems the nonce of a finished ceremony with
 * passbridge and signs in the user it names. The nonce is the only thing
 * from the page that is trusted, and only because passbridge vouches for
 * it; what it may do here is this site's decision:
 *   - a sign-in (kind "authenticate") counts only with a passkey this
 *     account accepted;
 *   - a registration signed in adds a passkey to the session's own account;
 *   - a registration signed out completes a sign-up only for the browser
 *     that reserved the username, and only as the account's first passkey.
 *
 * A passkey refused here was registered through a ceremony this site never
 * accepted: it is removed from passbridge, so it cannot be used later.
 */
export async function verify(site, req, res) {
  const { nonce } = await readJSON(req);
  if (typeof nonce !== "string" || nonce === "") {
    throw new ApiError(400, "invalid_request", "nonce is required");
  }
  const v = await site.passage.auth.verifyNonceDetails(nonce);
  if (!(await admit(site, req, v))) {
    try {
      await site.passage.user.revokeDevice(v.externalId, v.deviceId);
    } catch (err) {
      if (!(err instanceof PassageError && err.statusCode === 404)) {
        site.log.error("remove a refused passkey", { user: v.externalId, device: v.deviceId, err: String(err) });
      }
    }
    throw new ApiError(403, "passkey_not_accepted", `this passkey is not accepted for ${v.externalId}`);
  }
  if (v.kind === "register") {
    setCookie(req, res, signupCookie, "", { path: "/api/", maxAge: -1 });
  }
  if (site.sessions.user(req) !== v.externalId) {
    site.sessions.start(req, res, v.externalId);
  }
  sendJSON(res, 200, { username: v.externalId });
}

/** Decides whether a verified ceremony may sign its user in here (see verify), and records a newly accepted passkey. */
async function admit(site, req, v) {
  if (v.kind === "authenticate") {
    return site.accounts.accepted(v.externalId, v.deviceId);
  }
  if (v.kind !== "register") {
    return false;
  }
  const signedIn = site.sessions.user(req);
  if (signedIn !== null) {
    if (signedIn !== v.externalId) {
      return false;
    }
    site.accounts.accept(signedIn, v.deviceId);
    return true;
  }
  // A sign-up: the account's only passkey must be the one just made.
  const devices = await devicesOf(site, v.externalId);
  if (devices.length !== 1 || devices[0].id !== v.deviceId) {
    return false;
  }
  return site.accounts.activate(v.externalId, cookies(req)[signupCookie], v.deviceId);
}

/** GET /api/me: who is signed in, with their passkeys as passbridge lists them. */
export async function me(site, req, res) {
  const name = site.sessions.user(req);
  if (name === null) {
    throw notSignedIn();
  }
  const devices = await devicesOf(site, name);
  sendJSON(res, 200, {
    username: name,
    devices: meDevices(site, name, devices),
    data_deletion_confirmed_at: site.accounts.dataDeletionConfirmedAt(name),
  });
}

/** POST /api/signout: ends the session. */
export async function signOut(site, req, res) {
  site.sessions.end(req, res);
  res.writeHead(204).end();
}
