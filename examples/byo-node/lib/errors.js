// How passbridge's refusals reach the page: as this site's {"code",
// "error"}, with passbridge's code where it says what went wrong with what
// the person did, and a message that says what happened and what to do.
// A refusal of the site's own credentials, or passbridge being down, is
// the site's problem: logged in full, reported without details.
import { ApiError } from "./http.js";
import { PassbridgeError, UNKNOWN_PASSKEY_REASON } from "./passbridge.js";

/** What to tell a person for a passbridge code, where its own text would not do. */
const MESSAGES = {
  credential_already_registered:
    "This passkey is registered already. Sign in with it, or add a passkey from another device or passkey manager.",
  handshake_not_found:
    "This passkey request expired or was already used. Try again.",
  user_has_no_passkeys:
    "This account has no passkeys left, so it cannot be signed in to.",
  user_inactive: "This account is disabled.",
  rate_limited: "Too many attempts. Wait a moment, then try again.",
};

/** The page's code for a passkey passbridge no longer holds. */
export const PASSKEY_NOT_RECOGNISED = new ApiError(
  401,
  "passkey_not_recognised",
  "This passkey is not registered with this site any more: it was removed from the account. " +
    "Sign in with another of your passkeys, and delete this one from your passkey manager.",
);

/**
 * Translates err, thrown by a passbridge call, into what the page is told;
 * anything else is returned as it is.
 */
export function fromPassbridge(err, log) {
  if (!(err instanceof PassbridgeError)) {
    return err;
  }
  if (err.status === 0 || err.status >= 500) {
    log.error("passbridge call failed", { status: err.status, code: err.code, error: err.message, cause: String(err.cause ?? "") });
    return new ApiError(502, "passkeys_unavailable", "Passkeys are unavailable right now. Try again in a moment.");
  }
  if (err.status === 401 || ["invalid_access_token", "app_not_found", "Unauthorized", "AppNotFound"].includes(err.code)) {
    log.error("passbridge refused this site's app ID or API key", { status: err.status, code: err.code, error: err.message });
    return new ApiError(500, "server_misconfigured", "This site's passkey service is misconfigured. Try again later.");
  }
  if (err.code === "webauthn_verification_failed") {
    if (err.message === UNKNOWN_PASSKEY_REASON) {
      return PASSKEY_NOT_RECOGNISED;
    }
    return new ApiError(err.status, err.code, `Your passkey could not be verified (${err.message}). Try again, or use another passkey.`);
  }
  if (err.code === "invalid_request") {
    return new ApiError(400, err.code, `The browser's answer could not be used (${err.message}). Try again.`);
  }
  return new ApiError(err.status, err.code || "passkey_refused", MESSAGES[err.code] ?? err.message);
}
