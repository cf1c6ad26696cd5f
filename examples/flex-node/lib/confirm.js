// Confirming a sensitive action with a passkey. Being signed in says
// someone signed in, maybe hours ago, maybe on a computer left unlocked;
// before a sensitive action the site asks for a passkey again.

import { ApiError, notSignedIn, readJSON, sendJSON } from "./http.js";
import { PassageError } from "./passbridge-flex.js";

/**
 * How long after the page asked to confirm an action its passkey ceremony
 * may come back: the ceremony's own timeout (passbridge's default is 2
 * minutes) and little more. A confirmation says the person was at the
 * keyboard just now.
 */
const confirmationWindowMs = 3 * 60 * 1000;

/**
 * POST /api/{action}/start {}: an authenticate transaction for the
 * signed-in user, so that only that user's passkeys answer the ceremony,
 * and a note in the session of when it was asked for. The page runs the
 * ceremony and brings the nonce to the action's own call, which checks it
 * with confirmed.
 */
export function startConfirmation(action) {
  return async (site, req, res) => {
    await readJSON(req);
    const name = site.sessions.user(req);
    if (name === null) {
      throw notSignedIn();
    }
    const transactionId = await site.passage.auth.createAuthenticateTransaction(name);
    if (!site.sessions.beginConfirmation(req, name, action)) {
      throw notSignedIn();
    }
    sendJSON(res, 200, { transaction_id: transactionId });
  };
}

/**
 * Checks that nonce confirms action for the request's session and returns
 * the signed-in username. The person must prove again, now, that they hold
 * one of the account's passkeys and that it verified them:
 *   - the session asked to confirm this action less than
 *     confirmationWindowMs ago, and each request is good for one attempt;
 *   - passbridge redeems the nonce (once; it expires after 5 minutes), also
 *     when the confirmation came too late;
 *   - its ceremony was an authentication, not the making of a new passkey;
 *   - of the session's own user, with a passkey the account accepted;
 *   - and the authenticator verified the user (PIN or biometrics, the UV
 *     flag): presence alone is what anyone at an unlocked device has.
 *
 * passbridge's verify does not say which transaction a nonce came from, so
 * the window is the site's: it starts when the transaction is created.
 */
async function confirmed(site, req, action, nonce) {
  if (typeof nonce !== "string" || nonce === "") {
    throw new ApiError(400, "invalid_request", "nonce is required");
  }
  const { username: name, asked } = site.sessions.takeConfirmation(req, action);
  if (name === null) {
    throw notSignedIn();
  }
  // The nonce is redeemed even for a confirmation that came too late, so
  // that it cannot be brought again to a new one.
  let v;
  let verifyError;
  try {
    v = await site.passage.auth.verifyNonceDetails(nonce);
  } catch (err) {
    verifyError = err;
  }
  if (asked === null || site.now() - asked > confirmationWindowMs) {
    throw new ApiError(403, "confirmation_expired", "the confirmation expired or was used already; confirm again");
  }
  if (verifyError) {
    throw verifyError;
  }
  const refused = async (why) => {
    site.log.warn("confirmation refused", { action, user: name, nonceUser: v.externalId, kind: v.kind, device: v.deviceId, reason: why });
    // A passkey no account accepted was made through a ceremony this site
    // never accepted: it goes, as verify does with a refused sign-up.
    if (!site.accounts.accepted(v.externalId, v.deviceId)) {
      try {
        await site.passage.user.revokeDevice(v.externalId, v.deviceId);
      } catch (err) {
        if (!(err instanceof PassageError && err.statusCode === 404)) {
          site.log.error("remove a refused passkey", { user: v.externalId, device: v.deviceId, err: String(err) });
        }
      }
    }
    return new ApiError(403, "confirmation_refused", why);
  };
  if (v.kind !== "authenticate") {
    throw await refused("confirm with one of your passkeys, not by creating a new one");
  }
  if (v.externalId !== name) {
    throw await refused("this passkey belongs to another account");
  }
  if (!site.accounts.accepted(name, v.deviceId)) {
    throw await refused("this passkey is not accepted for your account");
  }
  if (!v.userVerified) {
    throw new ApiError(403, "user_verification_required",
      "your passkey did not verify you (PIN, fingerprint or face); confirm with one that does");
  }
  return name;
}

/**
 * POST /api/delete-data {nonce}: "Delete my data", once a passkey confirmed
 * it. In this example the action is harmless: it records when it was
 * confirmed, which the page shows. A real app deletes (or schedules the
 * deletion of) the data here, and only here: after confirmed.
 */
export async function deleteData(site, req, res) {
  const { nonce } = await readJSON(req);
  const name = await confirmed(site, req, "delete_data", nonce);
  const at = new Date(site.now()).toISOString();
  site.accounts.recordDataDeletion(name, at);
  site.log.info("data deletion confirmed", { user: name });
  sendJSON(res, 200, { data_deletion_confirmed_at: at });
}
