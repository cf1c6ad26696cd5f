// What both pages share: the oidc-client-ts UserManager, configured for
// passbridge, and the words for what can go wrong.
import config from "./config.js";

// The library's browser build (a classic script the page loads before this
// module) defines the global `oidc`.
const oidc = globalThis.oidc;
if (!oidc?.UserManager) {
  throw new Error("oidc-client-ts did not load: is /vendor/oidc-client-ts.min.js served?");
}

/** The level "Confirm with passkey" asks for: phr is any passkey (phrh > phr). */
export const stepUpACR = "phr";

/** The acr values passbridge issues, weakest first. */
const acrLevels = ["phr", "phrh"];

/** Whether acr is at least want; an unknown or missing acr is below every level. */
export function acrAtLeast(acr, want) {
  const have = acrLevels.indexOf(acr);
  return have >= 0 && have >= acrLevels.indexOf(want);
}

export const settings = {
  authority: config.issuer,
  client_id: config.clientId,
  redirect_uri: config.redirectUri,
  post_logout_redirect_uri: config.postLogoutRedirectUri,
  response_type: "code", // with PKCE S256, which the library always sends
  // offline_access: passbridge issues a refresh token (rotated on every
  // use), which renews the tokens without a hidden iframe or a new page.
  scope: "openid profile offline_access",
  automaticSilentRenew: true,
  // Sign-out revokes the access and refresh tokens at passbridge first:
  // its end_session ends the browser's session, not the refresh tokens.
  revokeTokensOnSignout: true,
  // The library drops these claims from user.profile by default; this page
  // shows acr, amr and auth_time, so only the others are dropped.
  filterProtocolClaims: ["nbf", "jti", "nonce", "azp", "at_hash"],
  // The signed-in user (its tokens) and the sign-in under way (its state,
  // nonce and PKCE verifier) live in this tab's sessionStorage: gone when
  // the tab closes, unseen by other tabs. The user store is the library's
  // default; the state store would default to localStorage.
  userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
  stateStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
};

export const manager = new oidc.UserManager(settings);

/** A client for what UserManager does only for the current user. */
export const client = new oidc.OidcClient(settings);

/** Messages by situation: a title and what to do. */
const messages = {
  state_mismatch: {
    title: "This sign-in answer was not expected here",
    text:
      "It does not belong to a sign-in started in this tab (it was altered, replayed, or started in another tab or browser). " +
      "Nothing was signed in. Start again from the app.",
  },
  access_denied: {
    title: "passbridge did not sign you in",
    text: "The sign-in was refused or cancelled. Try again, or use another passkey.",
  },
  login_required: {
    title: "You need to sign in",
    text: "passbridge has no session for you. Sign in with your passkey.",
  },
  interaction_required: {
    title: "You need to sign in",
    text: "passbridge needs you on its sign-in page. Sign in with your passkey.",
  },
  unmet_authentication_requirements: {
    title: "That passkey is not strong enough here",
    text: "This app asks for a stronger passkey (for instance one kept on a security key). Try again with such a passkey.",
  },
  temporarily_unavailable: {
    title: "passbridge is busy",
    text: "Try again in a moment.",
  },
  server_error: {
    title: "Something went wrong at passbridge",
    text: "Try again in a moment.",
  },
  code_refused: {
    title: "The sign-in could not be completed",
    text: "passbridge refused to exchange the answer for tokens (it expired or was used already). Sign in again.",
  },
  sign_in_ended: {
    title: "Your sign-in has ended",
    text:
      "passbridge no longer accepts it: the passkey you signed in with was removed, the sign-in was revoked, or it expired. " +
      "Sign in again.",
  },
  token_refused: {
    title: "passbridge refused the access token",
    text: "It expired or was revoked. Press Renew now, or sign in again.",
  },
  passbridge_unreachable: {
    title: "Can't reach passbridge",
    text: "Check your connection and that passbridge is running, then try again. You are still signed in here.",
  },
  step_up_refused: {
    title: "The confirmation did not count",
    text: "The ID token passbridge sent back is not a fresh passkey confirmation of your account. You are still signed in as before.",
  },
  not_signed_in: {
    title: "You are not signed in",
    text: "Your sign-in ended in this tab. Sign in again.",
  },
  signed_out_unconfirmed: {
    title: "Sign-out not confirmed",
    text: "The answer from passbridge does not belong to a sign-out started in this tab.",
  },
  failed: {
    title: "That did not work",
    text: "Try again.",
  },
};

/** An error of the app's own, with the situation it stands for and what to add to its message. */
export class AppError extends Error {
  constructor(code, detail = "") {
    super(detail || code);
    this.code = code;
    this.detail = detail;
  }
}

/**
 * The situation err stands for: an OAuth error code passbridge sent, or one
 * of the app's own. where says what was under way ("signin", "renew",
 * "token"), as the same error means different things.
 */
export function situationOf(err, where) {
  if (err instanceof AppError) {
    return err.code;
  }
  if (err instanceof oidc.ErrorResponse) {
    if (err.error === "invalid_grant") {
      return where === "renew" ? "sign_in_ended" : "code_refused";
    }
    return messages[err.error] ? err.error : "failed";
  }
  if (err instanceof oidc.ErrorTimeout || err instanceof TypeError) {
    // fetch's TypeError: no connection, or an answer CORS withheld.
    return "passbridge_unreachable";
  }
  const text = String(err?.message ?? "");
  if (/No matching state|No state in response|State does not match/.test(text)) {
    return "state_mismatch";
  }
  return "failed";
}

/**
 * Shows the message of err in box (a role="alert" element): its title,
 * what to do, and passbridge's own description where it gave one.
 */
export function showError(box, err, where) {
  const code = situationOf(err, where);
  const m = messages[code] ?? messages.failed;
  const title = document.createElement("p");
  title.className = "message-title";
  title.textContent = m.title;
  const text = document.createElement("p");
  text.textContent = m.text;
  const parts = [title, text];
  let detail = "";
  if (err instanceof oidc.ErrorResponse && err.error_description) {
    detail = `passbridge said: ${err.error_description}`;
  } else if (err instanceof AppError) {
    detail = err.detail;
  }
  if (detail) {
    const said = document.createElement("p");
    said.className = "message-detail";
    said.textContent = detail;
    parts.push(said);
  }
  box.replaceChildren(...parts);
  box.dataset.error = code;
  box.hidden = false;
  return code;
}

/** Clears box. */
export function clearError(box) {
  box.replaceChildren();
  delete box.dataset.error;
  box.hidden = true;
}

/** A time in seconds since the epoch as "HH:MM:SS" in the browser's zone, with its ISO form. */
export function timeOf(seconds) {
  const d = new Date(seconds * 1000);
  return { text: d.toLocaleTimeString([], { hour12: false }), iso: d.toISOString() };
}

/** sessionStorage key of what the callback page tells the main page. */
export const noticeKey = "oidc-spa.notice";
