// The account page's script (DESIGN §6). Signed out, it signs the user in
// with a discoverable passkey ceremony through the Flex client API (the
// browser SDK) and POST /account/session. Signed in, it lists the user's
// passkeys (GET /account/api/passkeys), renames and removes them, adds one
// (a register transaction for the signed-in user, the SDK's register, then
// POST /account/passkeys), and signs out.
//
// Where the browser has the WebAuthn Signals API, the page tells the
// passkey provider what the app accepts: after every list it has from the
// server, signalAllAcceptedCredentials (the user's passkeys; any other
// passkey of this user for the app's RP ID may go), and after a rename
// signalCurrentUserDetails (the user's names). Each function is used only
// where the browser has it, and a failure of one never stops the page.
//
// The Content-Security-Policy forbids inline script and style: the page's
// script is this file and the module it imports (common.js, shared with the
// sign-in page), and the app's accent colour is applied through the CSSOM.
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

const main = document.getElementById("account");
const signedOutView = document.getElementById("signed-out");
const signedInView = document.getElementById("signed-in");
const signInButton = document.getElementById("signin");
const addButton = document.getElementById("add");
const signOutButton = document.getElementById("signout");
const list = document.getElementById("passkeys");
const whoName = document.getElementById("who-name");
const rowTemplate = document.getElementById("passkey-row");
const statusLine = document.getElementById("status");
const alertBox = document.getElementById("message");
const dialog = document.getElementById("confirm");

const { issuer, appId, accent } = main.dataset;
const appName = main.dataset.appName || "this app";

// ---- Messages ----

// What the page says, by situation: a title and what to do.
const messages = {
  cancelled: {
    title: "Cancelled, or no passkey found",
    text:
      `The passkey request was cancelled, or this device has no passkey for ${appName}. Try again. ` +
      "If your passkey is on another device, choose the option to use a phone, tablet or security key when your browser asks.",
  },
  addCancelled: {
    title: "No passkey was added",
    text: "The request was cancelled or timed out. Try again.",
  },
  exists: {
    title: "This device already has one of your passkeys",
    text: "Add the new passkey on another device, a phone or a security key: choose that option when your browser asks.",
  },
  unsupported: {
    title: "This browser can't use passkeys",
    text: "Open this page in an up-to-date browser (Chrome, Edge, Firefox or Safari), or on another device that supports passkeys.",
  },
  misconfigured: {
    title: "Passkeys are not set up for this page",
    text: `${appName} cannot manage its passkeys on this page. Tell the app's administrator.`,
  },
  notSignedIn: {
    title: "You are signed out",
    text: "Your session has ended. Sign in again with a passkey.",
  },
  removedSignedOut: {
    title: "Passkey removed. You are signed out",
    text: "You had signed in with the passkey you removed. Sign in again with another passkey.",
  },
  invalidNonce: {
    title: "Not confirmed",
    text: "The passkey request expired or was already used. Try again.",
  },
  wrongUser: {
    title: "That passkey is for another account",
    text: "The new passkey was created for another account than the one signed in. Try again.",
  },
  verification: {
    title: "That passkey could not be verified",
    text: "Try again, or use another passkey.",
  },
  unknownPasskey: {
    title: "This passkey was removed from your account",
    text: "Use another passkey of your account; you can delete this one from your passkey manager.",
  },
  rateLimited: {
    title: "Too many attempts",
    text: "Wait a minute, then try again.",
  },
  network: {
    title: "Can't reach the server",
    text: "Check your connection, then try again.",
  },
  unavailable: {
    title: "Something went wrong on our side",
    text: "Try again in a moment.",
  },
  failed: {
    title: "That did not work",
    text: "Try again.",
  },
};

// Server error codes (the account calls, the Flex client API) by situation.
const byCode = {
  not_signed_in: "notSignedIn",
  invalid_nonce: "invalidNonce",
  wrong_user: "wrongUser",
  app_misconfigured: "misconfigured",
  app_not_found: "misconfigured",
  origin_not_allowed: "misconfigured",
  transaction_expired: "invalidNonce",
  transaction_not_found: "invalidNonce",
  handshake_not_found: "invalidNonce",
  webauthn_verification_failed: "verification",
  unknown_passkey: "unknownPasskey",
  rate_limited: "rateLimited",
  store_unavailable: "unavailable",
  internal_server_error: "unavailable",
  unexpected_response: "unavailable",
};

function setStatus(text) {
  statusLine.textContent = text;
}

/** Shows a situation's message in the alert region. */
function showMessage(kind, detail = "") {
  renderMessage(alertBox, messages, kind, detail);
}

function clearMessage() {
  alertBox.replaceChildren();
}

// ---- Calls ----

/**
 * Calls the account API: GET, PATCH and DELETE name the app in the query,
 * POST in the JSON body. Every call that changes something sends JSON,
 * which the server requires (with this page's Origin) against forgery.
 */
async function api(method, path, body) {
  const url = new URL(issuer + path);
  const init = { method, credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } };
  if (method === "POST") {
    body = { app_id: appId, ...body };
  } else {
    url.searchParams.set("app_id", appId);
  }
  if (method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body ?? {});
  }
  return fetchJSON(url, init, byCode);
}

function flex() {
  return passkeyOf(appId, issuer);
}

// ---- WebAuthn Signals API (WebAuthn L3 §5.1.10) ----

/** Calls PublicKeyCredential[name](options) where the browser has it. */
function signal(name, options) {
  const fn = globalThis.PublicKeyCredential?.[name];
  if (typeof fn !== "function") {
    return;
  }
  try {
    Promise.resolve(fn.call(PublicKeyCredential, options)).catch(() => {});
  } catch {
    // A browser that refuses the signal changes nothing for the page.
  }
}

/** Tells the passkey provider which of the user's passkeys the app accepts. */
function signalAccepted(account) {
  signal("signalAllAcceptedCredentials", {
    rpId: account.rp_id,
    userId: account.user.handle,
    allAcceptedCredentialIds: account.passkeys.map((p) => p.cred_id),
  });
}

/** Tells the passkey provider the user's current names. */
function signalUserDetails(account) {
  signal("signalCurrentUserDetails", {
    rpId: account.rp_id,
    userId: account.user.handle,
    name: account.user.name,
    displayName: account.user.display_name,
  });
}

// ---- Views ----

/** The list as the server last gave it: {rp_id, user, passkeys}. */
let account = null;

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : dateFormat.format(d);
}

function showSignedOut() {
  account = null;
  list.replaceChildren();
  signedInView.hidden = true;
  signedOutView.hidden = false;
  main.dataset.state = "signed-out";
}

/** Shows the signed-in view for the server's list and signals it. */
function showAccount(data) {
  account = data;
  whoName.textContent = data.user.name;
  list.replaceChildren(...data.passkeys.map(row));
  signedOutView.hidden = true;
  signedInView.hidden = false;
  main.dataset.state = "signed-in";
  signalAccepted(data);
}

/** A list item for passkey p. */
function row(p) {
  const li = rowTemplate.content.firstElementChild.cloneNode(true);
  li.dataset.id = p.id;
  const q = (sel) => li.querySelector(sel);
  const light = q(".pk-light");
  const dark = q(".pk-dark");
  if (p.icons?.light || p.icons?.dark) {
    light.src = p.icons.light || p.icons.dark;
    dark.src = p.icons.dark || p.icons.light;
    light.hidden = false;
    dark.hidden = false;
    q(".pk-icon").classList.add("has-img");
  }
  q(".pk-name").textContent = p.name;
  // A security key goes wherever its owner takes it: not "this device".
  q(".pk-sync").textContent = p.synced ? "Synced" : p.type === "security_key" ? "Security key" : "This device only";
  q(".pk-sync").classList.add(p.synced ? "synced" : "device-bound");
  // The model, where the AAGUID list knows it and the name does not say it.
  if (p.authenticator_name && p.authenticator_name !== p.name) {
    q(".pk-model").textContent = p.authenticator_name;
  } else {
    q(".pk-model").remove();
  }
  q(".pk-created").textContent = `Created ${formatDate(p.created_at)}`;
  q(".pk-used").textContent = p.last_used_at ? `Last used ${formatDate(p.last_used_at)}` : "Not used yet";
  q(".pk-current").hidden = !p.current;
  for (const span of li.querySelectorAll(".pk-for")) {
    span.textContent = ` ${p.name}`;
  }
  const form = q(".pk-rename");
  const input = q(".pk-rename-input");
  const inputId = `rename-${p.id}`;
  input.id = inputId;
  q(".pk-rename-label").htmlFor = inputId;
  const renameButton = q(".pk-rename-button");
  renameButton.addEventListener("click", () => {
    form.hidden = false;
    renameButton.setAttribute("aria-expanded", "true");
    input.value = p.name;
    input.focus();
    input.select();
  });
  const closeRename = () => {
    form.hidden = true;
    renameButton.setAttribute("aria-expanded", "false");
    renameButton.focus();
  };
  q(".pk-rename-cancel").addEventListener("click", closeRename);
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      closeRename();
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    rename(p, input.value, form);
  });
  q(".pk-remove-button").addEventListener("click", () => remove(p));
  return li;
}

// ---- Actions ----

/** Runs an action, showing its failure; a lost session shows the sign-in. */
async function run(button, busyText, fn, adding = false) {
  clearMessage();
  if (button) {
    setBusy(button, true);
  }
  setStatus(busyText);
  try {
    await fn();
  } catch (err) {
    setStatus("");
    if (err?.code === "not_signed_in") {
      showSignedOut();
    }
    const kind = situationOf(err, byCode, adding ? "addCancelled" : "cancelled");
    if (kind) {
      showMessage(kind, err?.message);
    }
  } finally {
    if (button) {
      setBusy(button, false);
    }
  }
}

/** Loads the list, or shows the sign-in when the session is gone. */
async function load() {
  try {
    showAccount(await api("GET", "/account/api/passkeys"));
  } catch (err) {
    if (err?.code === "not_signed_in") {
      showSignedOut();
      return;
    }
    throw err;
  }
}

function signIn() {
  return run(signInButton, "Waiting for your passkey…", async () => {
    const nonce = await flex().authenticate();
    setStatus("Signing you in…");
    await api("POST", "/account/session", { nonce });
    await load();
    setStatus("");
    addButton.focus();
  });
}

function signOut() {
  return run(signOutButton, "Signing you out…", async () => {
    await api("POST", "/account/signout", {});
    showSignedOut();
    setStatus("You are signed out.");
    signInButton.focus();
  });
}

function add() {
  return run(
    addButton,
    "Follow your browser's steps to create the passkey…",
    async () => {
      const t = await api("POST", "/account/api/passkeys/transaction", {});
      // Any authenticator: this device's, a phone over QR, a security key.
      const nonce = await flex().register(t.transaction_id, { authenticatorAttachment: "any" });
      const added = await api("POST", "/account/passkeys", { nonce });
      await load();
      setStatus(`Passkey added: ${added.passkey?.name ?? "a new passkey"}.`);
    },
    true,
  );
}

function rename(p, value, form) {
  const name = value.trim();
  // The server counts characters (code points), as this does.
  if (name === "" || [...name].length > 100) {
    showMessage("failed", "A passkey's name has 1 to 100 characters.");
    return Promise.resolve();
  }
  const button = form.querySelector("button[type=submit]");
  return run(button, "Renaming…", async () => {
    const { passkey } = await api("PATCH", `/account/api/passkeys/${encodeURIComponent(p.id)}`, { name });
    account.passkeys = account.passkeys.map((x) => (x.id === passkey.id ? passkey : x));
    const li = row(passkey);
    list.querySelector(`li[data-id="${CSS.escape(passkey.id)}"]`)?.replaceWith(li);
    setStatus(`Renamed to ${passkey.name}.`);
    li.querySelector(".pk-rename-button").focus();
    signalUserDetails(account);
  });
}

/** Asks before a removal; resolves true when the user confirms. */
function confirmRemoval(p, last) {
  document.getElementById("confirm-title").textContent = last
    ? "Remove your last passkey?"
    : `Remove “${p.name}”?`;
  document.getElementById("confirm-text").textContent = last
    ? `Without a passkey you can't sign in to ${appName} with one until you add another.`
    : `You won't be able to sign in to ${appName} with this passkey any more.`;
  const warning = document.getElementById("confirm-warning");
  warning.textContent = p.current ? "You signed in with this passkey: removing it signs you out here." : "";
  warning.hidden = !p.current;
  dialog.dataset.last = last ? "true" : "false";
  // "close" is fired from a task of its own: a question closed just before
  // may not have had its answer yet. It has it now, from how it closed.
  answerQuestion();
  dialog.returnValue = "";
  return new Promise((resolve) => {
    pendingAnswer = resolve;
    dialog.showModal();
  });
}

/** Resolves the open question's promise: removal only if confirmed. */
let pendingAnswer = null;

function answerQuestion() {
  if (pendingAnswer && !dialog.open) {
    const resolve = pendingAnswer;
    pendingAnswer = null;
    resolve(dialog.returnValue === "remove");
  }
}

async function remove(p) {
  let last = account.passkeys.length === 1;
  if (!(await confirmRemoval(p, last))) {
    return;
  }
  const button = list.querySelector(`li[data-id="${CSS.escape(p.id)}"] .pk-remove-button`);
  await run(button, "Removing…", async () => {
    let res;
    try {
      res = await api("DELETE", `/account/api/passkeys/${encodeURIComponent(p.id)}`, last ? { confirm: true } : {});
    } catch (err) {
      // Another tab or device removed the others meanwhile: this one is
      // the last after all, and the user is asked again.
      if (err?.code !== "last_passkey") {
        throw err;
      }
      last = true;
      if (!(await confirmRemoval(p, true))) {
        setStatus("");
        return;
      }
      res = await api("DELETE", `/account/api/passkeys/${encodeURIComponent(p.id)}`, { confirm: true });
    }
    if (res.signed_out) {
      signalAccepted(res);
      showSignedOut();
      setStatus("");
      showMessage("removedSignedOut");
      signInButton.focus();
      return;
    }
    showAccount(res);
    setStatus(`Removed ${p.name}.`);
    addButton.focus();
  });
}

// ---- Start ----

function init() {
  applyAccent(accent);
  // Without WebAuthn the page cannot sign in or add a passkey; a session
  // made elsewhere can still list, rename and remove.
  if (!webAuthnAvailable()) {
    signInButton.hidden = true;
    addButton.hidden = true;
    showMessage("unsupported");
  }
  dialog.addEventListener("close", answerQuestion);
  signInButton.addEventListener("click", signIn);
  signOutButton.addEventListener("click", signOut);
  addButton.addEventListener("click", add);
  reloadWhenRestored();
  if (main.dataset.state === "signed-in") {
    setStatus("Loading your passkeys…");
    load().then(
      () => setStatus(""),
      (err) => {
        setStatus("");
        showMessage(situationOf(err, byCode) || "failed", err?.message);
      },
    );
  } else {
    showSignedOut();
  }
}

init();
