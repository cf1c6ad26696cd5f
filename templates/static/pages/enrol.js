// The enrolment page's script. An administrator's link brought the person
// here; the button asks POST /enrol/transaction for a register transaction
// of the link's account, runs the registration through the Flex client API
// with the browser SDK, and posts the nonce (with the link's token) to
// POST /enrol/complete, which signs the browser in and names the account
// page, where the script sends the browser.
//
// Opening the page spends nothing: the registration's finish does. The
// same link open in another tab may finish first; this page then says so.
//
// The Content-Security-Policy forbids inline script and style: the page's
// script is this file and the module it imports (common.js), and the app's
// accent colour is applied through the CSSOM.
import {
  applyAccent,
  fetchJSON,
  passkeyOf,
  reloadWhenRestored,
  renderMessage,
  setBusy,
  situationOf,
  webAuthnAvailable,
} from "./common.js";

const main = document.getElementById("enrol");
const form = document.getElementById("enrol-form");
const button = document.getElementById("passkey");
const tokenInput = document.getElementById("token");
const accountLink = document.getElementById("account-link");
const statusLine = document.getElementById("status");
const alertBox = document.getElementById("message");
const more = document.getElementById("more");

const { issuer, accent } = main.dataset;
const appName = main.dataset.appName || "this app";

// What the page says, by situation: a title, what to do, and whether the
// enrolment can still go on from this page (final: it cannot).
const messages = {
  cancelled: {
    title: "No passkey was created",
    text:
      "The request was cancelled or timed out. Try again. To keep the passkey on your phone or a security key, " +
      "choose that option when your browser asks.",
  },
  exists: {
    title: "This device already has a passkey for this account",
    text: `Sign in to ${appName} with it, or create the passkey on another device.`,
  },
  unsupported: {
    title: "This browser can't use passkeys",
    text:
      "Open the link in an up-to-date browser (Chrome, Edge, Firefox or Safari), or on another device that supports passkeys.",
    final: true,
  },
  used: {
    title: "This link has been used already",
    text:
      "It works once, and a passkey was created with it, maybe in another tab or window. " +
      "Sign in with that passkey, or ask your administrator for a new link.",
    final: true,
  },
  expired: {
    title: "This link has expired",
    text: "Ask your administrator for a new link.",
    final: true,
  },
  invalid: {
    title: "This link is not valid",
    text: "Check that you opened the whole link; if you did, ask your administrator for a new one.",
    final: true,
  },
  inactive: {
    title: "Account inactive",
    text: "No passkey can be added to this account: it is inactive. Ask your administrator.",
    final: true,
  },
  misconfigured: {
    title: "Passkeys are not set up here",
    text: `${appName} cannot create passkeys on this page: its passkey settings do not include it. Tell your administrator.`,
    final: true,
  },
  attemptExpired: {
    title: "That took too long",
    text: "The passkey request expired before it finished. Try again.",
  },
  rateLimited: {
    title: "Too many attempts",
    text: "Wait a minute, then try again.",
  },
  verification: {
    title: "That passkey could not be verified",
    text: "Try again, or use another passkey manager or security key.",
  },
  network: {
    title: "Can't reach the service",
    text: "Check your connection, then try again.",
  },
  unavailable: {
    title: "Something went wrong on our side",
    text: "Try again in a moment.",
  },
  incomplete: {
    title: "Passkey created, but you are not signed in",
    text: "Signing you in after creating the passkey did not work. Sign in with your new passkey on your account page.",
    final: true,
  },
  failed: {
    title: "The passkey was not created",
    text: "Try again.",
  },
};

// Server error codes (POST /enrol/transaction, the Flex client API, POST
// /enrol/complete) by situation.
const byCode = {
  enrolment_incomplete: "incomplete",
  enrolment_link_used: "used",
  enrolment_link_expired: "expired",
  enrolment_link_not_found: "invalid",
  user_not_found: "invalid",
  user_inactive: "inactive",
  app_misconfigured: "misconfigured",
  app_not_found: "misconfigured",
  origin_not_allowed: "misconfigured",
  transaction_expired: "attemptExpired",
  transaction_not_found: "attemptExpired",
  handshake_not_found: "attemptExpired",
  credential_already_registered: "exists",
  rate_limited: "rateLimited",
  webauthn_verification_failed: "verification",
  store_unavailable: "unavailable",
  internal_server_error: "unavailable",
  unexpected_response: "unavailable",
};

let final = false; // the enrolment cannot go on from this page
let submitted = false; // the passkey is made: the page is done
let running = false;

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
    more.hidden = true;
    accountLink.hidden = kind !== "incomplete";
    alertBox.focus();
  }
}

function setPageBusy(busy) {
  setBusy(button, busy);
  form.setAttribute("aria-busy", busy ? "true" : "false");
}

/** POSTs body as JSON to one of the page's calls and returns the answer. */
function call(path, body, valid) {
  return fetchJSON(
    `${issuer}/enrol/${path}`,
    {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    },
    byCode,
    valid,
  );
}

/** POST /enrol/transaction: {app_id, transaction_id} of a registration for the link's account. */
function transaction() {
  return call(
    "transaction",
    { token: tokenInput.value },
    (d) => d !== null && typeof d.app_id === "string" && typeof d.transaction_id === "string",
  );
}

/** Creates the passkey and returns the registration's nonce. */
async function register() {
  const info = await transaction();
  // Any authenticator: this device's, a phone over QR, a security key.
  return passkeyOf(info.app_id, issuer).register(info.transaction_id, { authenticatorAttachment: "any" });
}

async function create() {
  if (running || submitted || final) {
    return;
  }
  running = true;
  alertBox.replaceChildren();
  setPageBusy(true);
  setStatus("Follow your browser's steps to create the passkey…");
  try {
    const nonce = await register();
    submitted = true;
    setStatus("Passkey created. Signing you in…");
    // POST /enrol/complete: the session cookie, and where to go.
    const done = await call(
      "complete",
      { token: tokenInput.value, nonce },
      (d) => d !== null && typeof d.redirect === "string" && d.redirect.startsWith(`${issuer}/`),
    );
    location.assign(done.redirect);
  } catch (err) {
    setStatus("");
    setPageBusy(false);
    // Once the passkey is made, whatever fails is the sign-in after it.
    const kind = submitted ? "incomplete" : situationOf(err, byCode);
    if (kind) {
      showMessage(kind, err?.message);
    }
    if (!final) {
      button.focus();
    }
  } finally {
    running = false;
  }
}

function init() {
  applyAccent(accent);
  if (!webAuthnAvailable()) {
    showMessage("unsupported");
    return;
  }
  form.hidden = false;
  more.hidden = false;
  form.addEventListener("submit", (e) => {
    // The button (or Enter): run the ceremony.
    e.preventDefault();
    create();
  });
  // Back from the account page, the page may come from the back/forward
  // cache as it was left: the server says afresh whether the link is
  // still good.
  reloadWhenRestored();
}

init();
