// Page script of the example app. It runs the passkey ceremonies with
// @simplewebauthn/browser, served by this site straight from node_modules:
// this site's backend asks passbridge for the options (start), the page
// hands them to startRegistration / startAuthentication, and the backend
// has passbridge verify the browser's answer (finish). The page never talks
// to passbridge, and nothing it says about who the user is counts until the
// backend has had the answer verified.
import {
  WebAuthnAbortService,
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
} from "/static/simplewebauthn/index.js";

const el = (id) => document.getElementById(id);
const loading = el("loading");
const signedOut = el("signed-out");
const signedIn = el("signed-in");
const usernameInput = el("username");
const who = el("who");
const passkeyRows = el("passkey-rows");
const lastPasskey = el("last-passkey");
const status = el("status");
const message = el("message");
const removeDialog = el("remove-dialog");

/** A refusal by this site's backend: its {code, error} answer. */
class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }
}

/**
 * Calls this site's API: a GET, or a JSON POST / DELETE. The backend
 * accepts a call that changes something only with the JSON type and this
 * site's Origin, which the browser sets.
 */
async function api(path, body, method = body === undefined ? "GET" : "POST") {
  const init = body === undefined
    ? { method }
    : { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  let res;
  try {
    res = await fetch(path, { ...init, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError("This site cannot be reached. Check your connection, then try again.", "network_error", 0);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's error page): reported by status below.
  }
  if (!res.ok) {
    throw new ApiError(data?.error ?? `The site answered HTTP ${res.status}. Try again.`, data?.code ?? "unexpected_response", res.status);
  }
  return data;
}

// What to tell a person when the browser's WebAuthn call failed, by the
// error's name (@simplewebauthn/browser keeps the browser's), for a
// registration ("register") or a sign-in ("sign-in").
const browserMessages = {
  register: {
    NotAllowedError: "No passkey was created: the passkey prompt was cancelled or timed out. " +
      "Nothing changed; try again when you are ready.",
    InvalidStateError: "This device already holds a passkey for this account, so no new one was made. " +
      "Add a passkey from another device or passkey manager, or sign in with the one you have.",
    ConstraintError: "This device cannot make the kind of passkey this site needs " +
      "(one it can find by itself, with a PIN or biometric check). Use another device or passkey manager.",
  },
  "sign-in": {
    NotAllowedError: "You are not signed in: the passkey prompt was cancelled or timed out, " +
      "or this device holds no passkey for this site. Try again, or use a device that holds your passkey.",
  },
  any: {
    NotSupportedError: "This browser cannot use passkeys here. Try another browser or device.",
    SecurityError: "This page's address does not fit the site's passkey settings. " +
      "The site's operator must fix its configuration.",
  },
};

/** Shows what went wrong and what to do, tagged with a code for scripts. */
function showError(err, kind) {
  let code, text;
  if (err instanceof ApiError) {
    code = err.code;
    text = err.message;
  } else {
    code = err?.name || "Error";
    text = browserMessages[kind]?.[code] ?? browserMessages.any[code] ??
      `Something went wrong: ${err?.message ?? err}. Try again.`;
  }
  message.textContent = text;
  message.dataset.code = code;
  message.hidden = false;
}

function clearMessage() {
  message.hidden = true;
  message.textContent = "";
  delete message.dataset.code;
  status.textContent = "";
}

function show(state) {
  loading.hidden = true;
  signedOut.hidden = state !== "signed-out";
  signedIn.hidden = state !== "signed-in";
}

/** Whether a person's action runs; the autofill keeps out of its way. */
let busy = false;

function setBusy(on) {
  busy = on;
  // The dialog's buttons stay: it asks during an action.
  for (const b of document.querySelectorAll("main button")) {
    b.disabled = on || "locked" in b.dataset;
  }
}

/**
 * Runs one action of the person's with the buttons disabled, shows its
 * failure, and arms the autofill sign-in again when the page is left
 * signed out.
 */
async function act(fn, kind) {
  setBusy(true);
  clearMessage();
  try {
    await fn();
  } catch (err) {
    // AbortError: another ceremony replaced this one; nothing to report.
    if (err?.name !== "AbortError") {
      showError(err, kind);
    }
  } finally {
    setBusy(false);
    armAutofill();
  }
}

// ---- Ceremonies ----

/** Signs up: the username is reserved, then the device makes its passkey. */
async function signUp() {
  const username = usernameInput.value.trim();
  if (username === "") {
    usernameInput.focus();
    throw new ApiError("Enter the username you want, then create your account.", "username_required", 0);
  }
  const { registrationOptions } = await api("/api/passkeys/register/start", { username });
  const response = await startRegistration({ optionsJSON: registrationOptions });
  await api("/api/passkeys/register/finish", { response });
  usernameInput.value = "";
  await showAccount();
}

/** Signs in with a passkey: the username's, or any (discoverable). */
async function signIn() {
  const username = usernameInput.value.trim();
  const { authenticationOptions } = await api("/api/passkeys/authenticate/start", username ? { username } : {});
  const response = await startAuthentication({ optionsJSON: authenticationOptions });
  await finishSignIn(authenticationOptions, response);
}

/**
 * Has the backend verify a sign-in. A passkey the site no longer knows
 * (removed from the account) is reported to the passkey provider, where the
 * browser offers the WebAuthn Signals API, so it stops offering it.
 */
async function finishSignIn(options, response) {
  try {
    await api("/api/passkeys/authenticate/finish", { response });
  } catch (err) {
    if (err instanceof ApiError && err.code === "passkey_not_recognised") {
      signalUnknownCredential(options.rpId ?? location.hostname, response.id);
    }
    throw err;
  }
  usernameInput.value = "";
  await showAccount();
}

function signalUnknownCredential(rpId, credentialId) {
  const signal = globalThis.PublicKeyCredential?.signalUnknownCredential;
  if (typeof signal !== "function") {
    return;
  }
  Promise.resolve()
    .then(() => signal.call(PublicKeyCredential, { rpId, credentialId }))
    .catch(() => {});
}

/** Adds a passkey to the signed-in account, e.g. on another device. */
async function addPasskey() {
  const { registrationOptions } = await api("/api/passkeys/register/start", {});
  const response = await startRegistration({ optionsJSON: registrationOptions });
  await api("/api/passkeys/register/finish", { response });
  await loadPasskeys();
  status.textContent = "Passkey added.";
}

// ---- Autofill (conditional mediation) ----

/** The pending autofill sign-in, if any. */
let autofill = null;
let autofillSupported = false;

/**
 * Offers the site's passkeys in the username field's autofill while the page
 * is signed out: a discoverable sign-in that waits, without a dialog, for
 * the person to pick a passkey there. Any button's ceremony aborts it
 * (@simplewebauthn/browser runs one ceremony at a time); it comes back
 * when that action ends. passbridge keeps a ceremony's challenge for its
 * timeout only, so a waiting request is replaced with fresh options
 * shortly before.
 */
async function armAutofill() {
  if (autofill || busy || signedOut.hidden || !autofillSupported) {
    return;
  }
  const mine = { timer: 0, refresh: false };
  autofill = mine;
  try {
    const { authenticationOptions } = await api("/api/passkeys/authenticate/start", {});
    if (busy || signedOut.hidden) {
      autofill = null; // an action started meanwhile; it arms the autofill when it ends
      return;
    }
    const refreshIn = Math.max((authenticationOptions.timeout ?? 120_000) - 10_000, 10_000);
    mine.timer = setTimeout(() => {
      mine.refresh = true;
      WebAuthnAbortService.cancelCeremony();
    }, refreshIn);
    const response = await startAuthentication({ optionsJSON: authenticationOptions, useBrowserAutofill: true });
    clearTimeout(mine.timer);
    autofill = null;
    await act(() => finishSignIn(authenticationOptions, response), "sign-in");
  } catch (err) {
    clearTimeout(mine.timer);
    if (autofill === mine) {
      autofill = null;
    }
    if (err?.name === "AbortError") {
      if (mine.refresh) {
        armAutofill();
      }
      return;
    }
    showError(err, "sign-in");
  }
}

// ---- The account ----

async function showAccount() {
  const { user } = await api("/api/me");
  if (!user) {
    show("signed-out");
    return;
  }
  who.textContent = `Signed in as ${user.name}`;
  show("signed-in"); // before the list, so that a failure to load it still lets the person sign out
  await loadPasskeys();
}

const kindNames = {
  passkey: "Synced passkey",
  platform: "This device only",
  security_key: "Security key",
};

function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString() : "never";
}

function cell(text, className) {
  const td = document.createElement("td");
  td.className = className;
  td.textContent = text;
  return td;
}

async function loadPasskeys() {
  const { passkeys } = await api("/api/passkeys");
  passkeyRows.replaceChildren(
    ...passkeys.map((p) => {
      const tr = document.createElement("tr");
      tr.dataset.credentialId = p.credential_id;
      const name = cell(p.name, "name");
      if (p.this_session) {
        const mark = document.createElement("span");
        mark.className = "current";
        mark.textContent = " (signed in with this one)";
        name.append(mark);
      }
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "remove";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove ${p.name}`);
      if (!p.removable) {
        remove.dataset.locked = "";
        remove.disabled = true;
      }
      remove.addEventListener("click", () => act(() => removePasskey(p.credential_id), "remove"));
      const actions = document.createElement("td");
      actions.append(remove);
      tr.append(
        name,
        cell(kindNames[p.type] ?? p.type, "kind"),
        cell(formatTime(p.created_at), "created"),
        cell(formatTime(p.last_used_at), "used"),
        cell(String(p.usage_count), "uses"),
        actions,
      );
      return tr;
    }),
  );
  lastPasskey.hidden = passkeys.length !== 1;
}

/** Asks in the dialog whether to remove the passkey; true to go on. */
function confirmRemoval() {
  return new Promise((resolve) => {
    removeDialog.returnValue = "";
    removeDialog.addEventListener("close", () => resolve(removeDialog.returnValue === "remove"), { once: true });
    removeDialog.showModal();
  });
}

async function removePasskey(credentialId) {
  if (!(await confirmRemoval())) {
    return;
  }
  await api(`/api/passkeys/${encodeURIComponent(credentialId)}`, {}, "DELETE");
  await loadPasskeys();
  status.textContent = "Passkey removed.";
}

async function signOut() {
  await api("/api/signout", {});
  show("signed-out");
  status.textContent = "Signed out.";
}

// ---- Start ----

signedOut.addEventListener("submit", (e) => {
  e.preventDefault();
  act(signIn, "sign-in");
});
el("sign-up").addEventListener("click", () => act(signUp, "register"));
el("add-passkey").addEventListener("click", () => act(addPasskey, "register"));
el("sign-out").addEventListener("click", () => act(signOut, "sign-out"));

if (!browserSupportsWebAuthn()) {
  show("signed-out");
  setBusy(true);
  showError({ name: "NotSupportedError" });
} else {
  autofillSupported = await browserSupportsWebAuthnAutofill().catch(() => false);
  act(showAccount, "load");
}
