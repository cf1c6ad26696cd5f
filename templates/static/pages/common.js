// What the provider's page scripts (login.js, account.js) share: the
// browser SDK's passkey calls, the server's answers and what its refusals
// and WebAuthn's errors stand for, the message region, busy buttons, the
// back/forward cache and the app's accent colour.
//
// Each page names its own situations, their words (messages) and which
// server error codes stand for which (byCode); this module reads them.
import { PassageFlex, canUseConditionalMediation } from "../../sdk/flex.js";

export { canUseConditionalMediation };

/** The SDK's passkey ceremonies of app appId, through the issuer. */
export function passkeyOf(appId, issuer) {
  return new PassageFlex(appId, { baseUrl: issuer }).passkey;
}

/** Whether this page can run WebAuthn ceremonies at all. */
export function webAuthnAvailable() {
  return window.isSecureContext && typeof window.PublicKeyCredential === "function";
}

/** A refusal of the server, or a failure a page reports by situation. */
export class PageError extends Error {
  constructor(kind, message = "", code = "") {
    super(message || kind);
    this.kind = kind;
    this.code = code;
  }
}

/**
 * The situation an error stands for, "" to say nothing: a PageError's own,
 * the server's code through byCode, or what the WebAuthn error's name
 * means. cancelled is the situation of a NotAllowedError on this page.
 */
export function situationOf(err, byCode, cancelled = "cancelled") {
  if (err instanceof PageError) {
    return err.kind;
  }
  // A passkey the app no longer knows (removed from the account) is a
  // verification failure with this exact reason, which the SDK's signal
  // of unknown credentials keys on too.
  if (err?.code === "webauthn_verification_failed" && err?.message === "passkey not recognised" && byCode.unknown_passkey) {
    return byCode.unknown_passkey;
  }
  if (err?.code && byCode[err.code]) {
    return byCode[err.code];
  }
  switch (err?.name) {
    case "AbortError": // a newer ceremony replaced this one
      return "";
    case "NotAllowedError": // cancelled, timed out, or no passkey here
      return cancelled;
    case "InvalidStateError": // registering: the authenticator holds one already
      return "exists";
    case "SecurityError": // the RP ID does not fit this origin
      return "misconfigured";
    case "NotSupportedError":
      return "unsupported";
    case "NetworkError":
      return "network";
    default:
      return "failed";
  }
}

function isObject(data) {
  return data !== null && typeof data === "object";
}

/**
 * Fetches url and returns its JSON answer. A fetch that fails is a
 * PageError "network" (an abort is thrown as it is); a refusal, or an
 * answer that valid rejects, is a PageError of the situation its code
 * stands for in byCode, with the server's message and code.
 */
export async function fetchJSON(url, init, byCode, valid = isObject) {
  let res;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if (err?.name === "AbortError") {
      throw err;
    }
    throw new PageError("network");
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // A proxy's HTML error page: reported by status below.
  }
  if (!res.ok || !valid(data)) {
    const code = typeof data?.code === "string" ? data.code : "";
    // A code this page has no words for: the server's own message.
    const kind = byCode[code] ?? (code ? "failed" : res.status === 429 ? "rateLimited" : "unavailable");
    throw new PageError(kind, typeof data?.error === "string" ? data.error : "", code);
  }
  return data;
}

/**
 * Shows the message of situation kind (messages.failed for one the page
 * has no words for) in the alert region box, and returns it.
 */
export function renderMessage(box, messages, kind, detail = "") {
  const m = messages[kind] ?? messages.failed;
  const title = document.createElement("p");
  title.className = "message-title";
  title.textContent = m.title;
  const text = document.createElement("p");
  // The server's own words where it gave some for a situation this page
  // has no text of its own for.
  text.textContent = kind === "failed" && detail ? detail : m.text;
  box.replaceChildren(title, text);
  return m;
}

/** Disables button while its action runs, and says so to assistive technology. */
export function setBusy(button, busy) {
  button.disabled = busy;
  button.setAttribute("aria-busy", busy ? "true" : "false");
}

/**
 * Reloads the page when the browser brings it back from the back/forward
 * cache as it was left: the server says afresh what is true now.
 */
export function reloadWhenRestored() {
  window.addEventListener("pageshow", (e) => {
    if (e.persisted) {
      location.reload();
    }
  });
}

// ---- Accent colour ----

/** Relative luminance of "#rrggbb" (WCAG 2.2). */
function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a, b) {
  const [hi, lo] = a > b ? [a, b] : [b, a];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * Applies the app's accent colour, with the text colour on it that contrasts
 * more (white or near-black): one of them always reaches 4.5:1. The
 * Content-Security-Policy forbids inline style; the CSSOM
 * (element.style.setProperty) is allowed.
 */
export function applyAccent(color) {
  if (!/^#[0-9a-fA-F]{6}$/.test(color ?? "")) {
    return;
  }
  const l = luminance(color);
  const light = "#ffffff";
  const dark = "#111827";
  const onAccent = contrast(l, luminance(light)) >= contrast(l, luminance(dark)) ? light : dark;
  const root = document.documentElement.style;
  root.setProperty("--accent", color);
  root.setProperty("--on-accent", onAccent);
}
