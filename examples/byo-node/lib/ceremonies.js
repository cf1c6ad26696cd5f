// The passkey ceremonies, the way PropelAuth's "bring your own" guide builds
// them: each is a start (this backend asks passbridge for options, the page
// hands them to @simplewebauthn/browser) and a finish (the page posts the
// browser's answer back, this backend has passbridge verify it). What a
// verified ceremony may do here is this app's decision, made below.
import { ApiError, cookie, setCookie } from "./http.js";
import { PASSKEY_NOT_RECOGNISED } from "./errors.js";
import { RESERVATION_MS } from "./accounts.js";

/** The cookie holding the token of the browser's username reservation. */
export const SIGNUP_COOKIE = "byo_signup";
const SIGNUP_PATH = "/api/passkeys/register";

/**
 * A username: 1 to 32 letters, digits, dots, dashes or underscores,
 * compared without case. It is what the passkey manager shows; passbridge
 * knows the user by a random user ID instead.
 */
export function username(raw) {
  const name = typeof raw === "string" ? raw.trim().toLowerCase() : "";
  if (!/^[a-z0-9._-]{1,32}$/.test(name)) {
    throw new ApiError(400, "invalid_username", "Enter a username of 1 to 32 letters, digits, dots, dashes or underscores.");
  }
  return name;
}

/** The browser's answer in a finish body: a JSON object, passed on as it is. */
function browserResponse(body) {
  const r = body.response;
  if (r === null || typeof r !== "object" || Array.isArray(r) || typeof r.id !== "string") {
    throw new ApiError(400, "invalid_request", "The body must carry the browser's answer as response.");
  }
  return r;
}

/**
 * POST /api/passkeys/register/start {username?}. Signed in: a passkey for
 * the session's own account (any username in the body is ignored). Signed
 * out: a sign-up. The username is reserved for this browser first,
 * atomically, and only then does passbridge hear of it; the finish
 * creates the account only for the browser holding the reservation.
 */
export async function registerStart(site, ctx) {
  let userId, name;
  if (ctx.session) {
    ({ userId, name } = ctx.session);
  } else {
    name = username(ctx.body.username);
    const held = site.accounts.reserve(name, cookie(ctx.req, SIGNUP_COOKIE));
    if (!held) {
      throw new ApiError(409, "username_taken", `The username ${name} is taken. Sign in if it is yours, or choose another.`);
    }
    userId = held.userId;
    setCookie(ctx.res, SIGNUP_COOKIE, held.token, {
      path: SIGNUP_PATH,
      maxAgeSeconds: RESERVATION_MS / 1000,
      sameSite: "Strict",
      secure: site.secure,
    });
  }
  const registrationOptions = await site.pb.startRegistration(userId, name);
  return { registrationOptions };
}

/**
 * POST /api/passkeys/register/finish {response}. passbridge verifies the
 * new passkey, for the user the ceremony must belong to: the session's, or
 * the reservation's. A sign-up then completes only if this browser still
 * holds the reservation and the new passkey is the account's first and
 * only one; a passkey refused here is removed from passbridge again, since
 * no account accepted it.
 */
export async function registerFinish(site, ctx) {
  const response = browserResponse(ctx.body);
  if (ctx.session) {
    const { userId } = ctx.session;
    const device = await site.pb.finishRegistration(userId, response);
    site.accounts.accept(userId, device.cred_id);
    site.log.info("passkey added", { user_id: userId, credential_id: device.cred_id });
    return { passkey: device.cred_id };
  }

  // One finish per sign-up at a time: a second (a double click) then finds
  // the account made and is refused before passbridge hears of it.
  const token = cookie(ctx.req, SIGNUP_COOKIE);
  return oneAtATime(token, async () => {
    const reserved = site.accounts.reservation(token);
    if (!reserved) {
      throw new ApiError(403, "signup_expired",
        "Your sign-up expired or was started in another browser. Enter your username and create your passkey again.");
    }
    const device = await site.pb.finishRegistration(reserved.userId, response);
    const live = await site.pb.passkeys(reserved.userId);
    const first = live.length === 1 && live[0].credentialId === device.cred_id;
    if (!first || !site.accounts.activate(reserved.name, token, device.cred_id)) {
      await site.removeRefused(reserved.userId, device.cred_id);
      throw new ApiError(403, "passkey_not_accepted",
        "This passkey was not accepted for the new account. Start the sign-up again.");
    }
    setCookie(ctx.res, SIGNUP_COOKIE, "", { path: SIGNUP_PATH, maxAgeSeconds: 0, sameSite: "Strict", secure: site.secure });
    site.signIn(ctx, reserved.userId, reserved.name, device.cred_id);
    site.log.info("account created", { user_id: reserved.userId, credential_id: device.cred_id });
    return { user: { name: reserved.name } };
  });
}

/** The tail of each key's queue of calls (see oneAtATime). */
const queues = new Map();

/**
 * Runs fn once every earlier call for key has ended, and returns its
 * result. This process's calls only: with several instances of the site,
 * the first-passkey check above is what still holds.
 */
async function oneAtATime(key, fn) {
  const before = queues.get(key) ?? Promise.resolve();
  let done;
  const mine = new Promise((resolve) => (done = resolve));
  const tail = before.then(() => mine);
  queues.set(key, tail);
  await before;
  try {
    return await fn();
  } finally {
    done();
    if (queues.get(key) === tail) {
      queues.delete(key);
    }
  }
}

/**
 * POST /api/passkeys/authenticate/start {username?}. With a username, the
 * options list only that account's passkeys; without one they are
 * discoverable: the person picks any passkey of the site, from a dialog or
 * from the username field's autofill (conditional mediation).
 */
export async function authenticateStart(site, ctx) {
  let userId = "";
  if (ctx.body.username !== undefined && ctx.body.username !== "") {
    const name = username(ctx.body.username);
    const acc = site.accounts.byName(name);
    if (!acc) {
      throw new ApiError(404, "unknown_account", `No account is called ${name}. Check the username, or create an account.`);
    }
    userId = acc.userId;
  }
  const authenticationOptions = await site.pb.startAuthentication(userId);
  return { authenticationOptions };
}

/**
 * POST /api/passkeys/authenticate/finish {response}. passbridge verifies
 * the assertion and names the user; it signs in here only as an account
 * that accepted that passkey.
 */
export async function authenticateFinish(site, ctx) {
  const response = browserResponse(ctx.body);
  const { external_id: userId, device } = await site.pb.finishAuthentication(response);
  const acc = site.accounts.byUserId(userId);
  if (!acc || !acc.credentials.includes(device.cred_id)) {
    // A passkey passbridge holds but no account accepted: the leftover of a
    // refused sign-up whose removal failed. Remove it now.
    await site.removeRefused(userId, device.cred_id);
    throw PASSKEY_NOT_RECOGNISED;
  }
  site.signIn(ctx, acc.userId, acc.name, device.cred_id);
  return { user: { name: acc.name } };
}
