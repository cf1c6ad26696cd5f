// Errors shown as a page: a status, a stable snake_case code, a title and a
// message for the person (what happened, what to do). The cause goes to
// the log, never to the page.

export class PageError extends Error {
  constructor({ status, code, title, message, detail = "", cause }) {
    super(code, { cause });
    this.status = status;
    this.code = code;
    this.title = title;
    this.message = message;
    /** passbridge's error_description, when the error is its. */
    this.detail = detail;
  }
}

/** A failure to reach passbridge, or a failure on its side. */
export function unavailable(cause) {
  return new PageError({
    status: 502,
    code: "passbridge_unavailable",
    title: "Sign-in unavailable",
    message: "The sign-in service cannot be reached right now. Try again in a moment.",
    cause,
  });
}

/** An answer from the token endpoint that does not verify. */
export function badAnswer(cause) {
  return new PageError({
    status: 502,
    code: "invalid_id_token",
    title: "Sign-in refused",
    message: "The sign-in service's answer could not be verified, so it was not accepted. Sign in again.",
    cause,
  });
}

/** The shape of an OAuth error code shown as it is. */
const ERROR_CODE = /^[a-z_]{1,64}$/;

/** How much of passbridge's error_description the page shows. */
const MAX_DETAIL = 300;

// passbridge's error answers (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6,
// RFC 9470 §3), explained to the person in front of the page.
const PROVIDER_MESSAGES = new Map([
  ["access_denied", [403, "The sign-in was refused or cancelled. Try again."]],
  ["login_required", [401, "passbridge needs you to sign in with a passkey, and could not ask. Sign in again."]],
  ["interaction_required", [401, "passbridge needs you on its sign-in page, and could not show it. Sign in again."]],
  [
    "unmet_authentication_requirements",
    [
      403,
      "The passkey used does not meet what this app requires: for instance a passkey kept on one device " +
        "(a security key) where a synced one was used.",
    ],
  ],
  ["temporarily_unavailable", [502, "The sign-in service is unavailable right now. Try again in a moment."]],
  ["server_error", [502, "The sign-in service failed to finish the sign-in. Try again in a moment."]],
]);

/**
 * An error passbridge sent back to the callback instead of a code. stepUp:
 * the answer was to a confirmation, which leaves the session as it was.
 */
export function providerError(code, description, stepUp) {
  const e = new PageError({
    status: 400,
    code,
    title: stepUp ? "Confirmation failed" : "Sign-in failed",
    message: "passbridge refused the sign-in request. Try again.",
    detail: description ?? "",
    cause: new Error(`authorization error ${code}`),
  });
  if (!ERROR_CODE.test(code ?? "")) {
    e.code = "invalid_callback";
    e.detail = "";
    e.cause = new Error("malformed authorization error");
  }
  const m = PROVIDER_MESSAGES.get(e.code);
  if (m) {
    [e.status, e.message] = m;
  }
  const chars = [...e.detail];
  if (chars.length > MAX_DETAIL) {
    e.detail = chars.slice(0, MAX_DETAIL).join("") + "…";
  }
  if (stepUp) {
    e.message += " You are still signed in as before.";
  }
  return e;
}

/**
 * err for the log: its message and code, and those of the errors it wraps.
 * Only errors: openid-client's also hold the answers they refused (tokens,
 * claims), which no log should keep.
 */
export function describe(err) {
  const parts = [];
  for (let e = err; e instanceof Error && parts.length < 4; e = e.cause) {
    parts.push([e.code, e.message].filter(Boolean).join(" "));
  }
  return parts.join(": ");
}
