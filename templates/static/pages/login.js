// The sign-in page's script (DESIGN §6). It asks GET /login/ceremony which
// ceremony to run (unless the page says already: a discoverable
// authentication, which needs no transaction), runs it through the Flex
// client API with the browser SDK, and posts the nonce to /login/complete,
// which sends the browser on to the app.
//
// Two ways in: the "Sign in with a passkey" button, and, where the browser
// offers it and the request names no user, the passkey autofill of the
// username field (conditional mediation). The SDK runs one ceremony at a
// time: the button's aborts a pending autofill request, which is started
// again when the button's fails. A prompt=create request gets a registration
// instead ("Create a passkey"), with no autofill.
//
// The Content-Security-Policy forbids inline script and style: the page's
// script is this file and the module it imports (common.js, shared with the
// account page), and the app's accent colour is applied through the CSSOM.
import {
  PageError,
  applyAccent,
  canUseConditionalMediation,
  fetchJSON,
  passkeyOf,
  reloadWhenRestored,
  renderMessage,
  setBusy,
  situationOf,
  webAuthnAvailable,
} from "./common.js";

const main = document.getElementById("login");
const form = document.getElementById("complete");
const button = document.getElementById("passkey");
const nonceInput = document.getElementById("nonce");
const usernameField = document.getElementById("username-field"); // null when the request names the user, or enrols
const displayName = document.getElementById("display-name"); // a sign-up's name for the passkey
const statusLine = document.getElementById("status");
const alertBox = document.getElementById("message");
const more = document.getElementById("more");

const { authRequestId, issuer, accent } = main.dataset;
const appName = main.dataset.appName || "this app";
const loginHint = main.dataset.loginHint || "";
const enrol = main.dataset.mode === "register";
// When the sign-in expires, on the page's own clock (seconds since it was
// served): GET /login/ceremony would say so, the discoverable ceremony the
// page starts without asking checks this instead.
const expiresAt = main.dataset.expiresIn ? performance.now() + Number(main.dataset.expiresIn) * 1000 : Infinity;

// What the page says, by situation: a title, what to do, and whether the
// sign-in can still go on from this page (final: it cannot).
const messages = {
  cancelled: enrol
    ? {
        title: "No passkey was created",
        text:
          "The request was cancelled or timed out. Try again. To keep the passkey on your phone or a security key, " +
          "choose that option when your browser asks.",
      }
    : {
        title: "Sign-in cancelled, or no passkey found",
        text:
          `The passkey request was cancelled, or this device has no passkey for ${appName}. ` +
          "Try again. If your passkey is on another device, choose the option to use a phone, tablet or security key " +
          "when your browser asks, and scan the QR code with your phone.",
      },
  exists: {
    title: "This device already has a passkey for this account",
    text: `Sign in to ${appName} with it, or create the passkey on another device.`,
  },
  unsupported: {
    title: "This browser can't use passkeys",
    text:
      "Open this page in an up-to-date browser (Chrome, Edge, Firefox or Safari), or on another device that supports passkeys.",
    final: true,
  },
  expired: {
    title: "This sign-in has expired",
    text: `Go back to ${appName} and sign in again.`,
    final: true,
  },
  attemptExpired: {
    title: "That took too long",
    text: "The passkey request expired before it finished. Try again.",
  },
  otherBrowser: {
    title: "Started in another browser",
    text: `This sign-in was started in another browser. Go back to ${appName} and sign in again from here.`,
    final: true,
  },
  misconfigured: {
    title: "Passkey sign-in is not set up",
    text: `${appName} cannot sign you in with a passkey on this page: its passkey settings do not include it. Tell the app's administrator.`,
    final: true,
  },
  wrongUser: {
    title: "That passkey is for another account",
    text: loginHint
      ? `This sign-in is for ${loginHint}. Use the passkey of that account.`
      : "Use the passkey of the account this sign-in is for.",
  },
  invalidNonce: {
    title: "Sign-in not confirmed",
    text: "The passkey sign-in expired or was already used. Try again.",
  },
  rateLimited: {
    title: "Too many attempts",
    text: "Wait a minute, then try again.",
  },
  verification: {
    title: "That passkey could not be verified",
    text: "Try again, or use another passkey.",
  },
  unknownPasskey: {
    title: "This passkey was removed from your account",
    text: "Use another passkey of your account; you can delete this one from your passkey manager.",
  },
  network: {
    title: "Can't reach the sign-in service",
    text: "Check your connection, then try again.",
  },
  unavailable: {
    title: "Something went wrong on our side",
    text: "Try again in a moment.",
  },
  failed: {
    title: "Sign-in did not work",
    text: "Try again.",
  },
};

// Server error codes (GET /login/ceremony, the Flex client API) by situation.
const byCode = {
  auth_request_not_found: "expired",
  transaction_expired: "attemptExpired",
  transaction_not_found: "attemptExpired",
  auth_request_of_another_browser: "otherBrowser",
  app_misconfigured: "misconfigured",
  app_not_found: "misconfigured",
  origin_not_allowed: "misconfigured",
  wrong_user: "wrongUser",
  invalid_nonce: "invalidNonce",
  rate_limited: "rateLimited",
  webauthn_verification_failed: "verification",
  unknown_passkey: "unknownPasskey",
  store_unavailable: "unavailable",
  internal_server_error: "unavailable",
  unexpected_response: "unavailable",
};

// ---- What the page shows ----

let final = false; // the sign-in cannot go on from this page
let submitted = false; // a nonce is on its way to /login/complete

function setStatus(text) {
  statusLine.textContent = text;
}

/** Shows the message of a situation in the alert region. */
function showMessage(kind, detail = "") {
  const m = renderMessage(alertBox, messages, kind, detail);
  if (m.final) {
    // Nothing on this page can help any more: the message takes the focus
    // from the controls it hides.
    final = true;
    form.hidden = true;
    if (more) {
      more.hidden = true;
    }
    stopConditional();
    alertBox.focus();
  }
}

function clearMessage() {
  alertBox.replaceChildren();
}

function setPageBusy(busy) {
  setBusy(button, busy);
  form.setAttribute("aria-busy", busy ? "true" : "false");
}

// ---- Calls ----

/** GET /login/ceremony: {app_id, mode, transaction_id}; the page's own
 * answer when it carries one (the discoverable authentication). */
async function ceremonyInfo(signal) {
  if (main.dataset.ceremony === "discoverable" && main.dataset.appId) {
    if (performance.now() >= expiresAt) {
      throw new PageError("expired");
    }
    return { app_id: main.dataset.appId, mode: "authenticate", transaction_id: null };
  }
  const query = new URLSearchParams({ auth_request_id: authRequestId });
  const name = displayName?.value.trim();
  if (name) {
    query.set("display_name", name);
  }
  const data = await fetchJSON(
    `${issuer}/login/ceremony?${query}`,
    { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store", signal },
    byCode,
    (d) => d !== null && typeof d.app_id === "string",
  );
  if (data.mode !== "authenticate" && !(data.mode === "register" && data.transaction_id)) {
    throw new PageError("failed", "This sign-in asks for something this page cannot do.");
  }
  return data;
}

/** Runs the ceremony the server names and returns the nonce. */
async function ceremony({ conditional, signal }) {
  const info = await ceremonyInfo(signal);
  if (signal?.aborted) {
    throw new DOMException("replaced", "AbortError");
  }
  const passkey = passkeyOf(info.app_id, issuer);
  if (info.mode === "register") {
    // Any authenticator: this device's, a phone over QR, a security key.
    return passkey.register(info.transaction_id, { authenticatorAttachment: "any" });
  }
  const options = {};
  if (info.transaction_id) {
    options.transactionId = info.transaction_id;
  }
  if (conditional) {
    options.isConditionalMediation = true;
  }
  return passkey.authenticate(options);
}

/** Posts the nonce: the browser goes on to the app, or to the error page. */
function complete(nonce) {
  if (submitted) {
    return;
  }
  submitted = true;
  stopConditional();
  setPageBusy(true);
  clearMessage();
  setStatus(enrol ? "Passkey created. Signing you in…" : "Signing you in…");
  nonceInput.value = nonce;
  form.submit();
}

// ---- Autofill (conditional mediation) ----

let conditionalAvailable = false;
// Aborts the autofill request's GET /login/ceremony; the SDK aborts the
// WebAuthn request itself when the button starts a ceremony.
let conditional = null;

function stopConditional() {
  conditional?.abort();
  conditional = null;
}

function startConditional() {
  if (!conditionalAvailable || final || submitted || conditional) {
    return;
  }
  const controller = new AbortController();
  conditional = controller;
  ceremony({ conditional: true, signal: controller.signal }).then(
    (nonce) => {
      if (conditional === controller) {
        conditional = null;
      }
      complete(nonce);
    },
    (err) => {
      if (conditional === controller) {
        conditional = null;
      }
      // An autofill request ends quietly when the button replaces it or the
      // browser declines it; it speaks only when the sign-in itself failed.
      const kind = situationOf(err, byCode);
      if (kind && kind !== "cancelled" && kind !== "unsupported" && !submitted) {
        showMessage(kind, err?.message);
      }
    },
  );
}

// ---- The button ----

let running = false;

async function signInWithButton() {
  if (running || submitted || final) {
    return;
  }
  running = true;
  // The button's ceremony takes over from the autofill request: the SDK
  // aborts a WebAuthn request already made as this one starts; one still
  // asking GET /login/ceremony stops here, or it would abort this one.
  stopConditional();
  clearMessage();
  setPageBusy(true);
  setStatus(enrol ? "Follow your browser's steps to create the passkey…" : "Waiting for your passkey…");
  try {
    complete(await ceremony({ conditional: false }));
  } catch (err) {
    setStatus("");
    setPageBusy(false);
    const kind = situationOf(err, byCode);
    if (kind) {
      showMessage(kind, err?.message);
    }
    if (!final) {
      button.focus();
      startConditional();
    }
  } finally {
    running = false;
  }
}

// ---- Start ----

function init() {
  applyAccent(accent);
  if (!webAuthnAvailable()) {
    showMessage("unsupported");
    return;
  }
  form.hidden = false;
  if (more) {
    more.hidden = false;
  }
  form.addEventListener("submit", (e) => {
    // Enter in the username field, or the button: run the ceremony. The
    // script's own form.submit() does not come through here.
    e.preventDefault();
    signInWithButton();
  });
  // Back from the app with the back button, the page may come from the
  // back/forward cache as it was left, mid-submit: the server says afresh
  // whether this sign-in is done, still open, or gone.
  reloadWhenRestored();
  if (usernameField) {
    canUseConditionalMediation().then((ok) => {
      conditionalAvailable = ok;
      if (ok) {
        usernameField.hidden = false;
        startConditional();
      }
    });
  }
}

init();
