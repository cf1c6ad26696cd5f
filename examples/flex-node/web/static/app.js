// Page script of the example app. It imports passbridge's browser SDK from
// passbridge itself and runs the passkey ceremonies with it; this site's
// backend creates the transactions and redeems the nonces the ceremonies
// produce. The page never sees the API key, and nothing it says about who
// the user is counts until the backend has verified a nonce.

const { appId, passbridgeUrl } = document.body.dataset;

const el = (id) => document.getElementById(id);
const loading = el("loading");
const signedOut = el("signed-out");
const signedIn = el("signed-in");
const usernameInput = el("username");
const who = el("who");
const deviceRows = el("device-rows");
const lastPasskey = el("last-passkey");
const dataDeletion = el("data-deletion");
const status = el("status");
const message = el("message");
const renameDialog = el("rename-dialog");
const renameInput = el("rename-input");
const removeDialog = el("remove-dialog");

/** The PassageFlex instance, once the SDK has loaded. */
let flex;

/** The pending autofill (conditional mediation) sign-in, if any. */
let autofill = null;

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
 * Calls this site's API: a GET without body, a JSON POST with one, or the
 * method given. The browser marks these calls as the site's own
 * (Sec-Fetch-Site, Origin), which the backend requires of every call that
 * changes something.
 */
async function api(path, body, method = body === undefined ? "GET" : "POST") {
  const init = body === undefined
    ? { method }
    : { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  let res;
  try {
    res = await fetch(path, { ...init, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError("this site cannot be reached", "network_error", 0);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's error page): reported by status below.
  }
  if (!res.ok) {
    throw new ApiError(data?.error ?? `request failed with HTTP ${res.status}`, data?.code ?? "unexpected_response", res.status);
  }
  return data;
}

// What to tell a person when the browser's WebAuthn call failed: what
// happened and what to do. The SDK keeps the browser's error name.
const browserMessages = {
  NotAllowedError:
    "The passkey request was cancelled or timed out, or this device has no passkey for this site. Try again, or use another device.",
  InvalidStateError: "This device already holds a passkey for this account. Add one on another device or passkey manager.",
  NotSupportedError: "This browser cannot use passkeys here. Try another browser.",
  SecurityError: "This page may not use passkeys of this site.",
  NetworkError: "The passkey service cannot be reached. Try again in a moment.",
};

// Refusals whose server message would not tell a person what to do.
const refusalMessages = {
  user_not_found: "No account has this username. Check it, or create a passkey to sign up.",
  user_has_no_passkeys: "This account has no passkey any more. Sign in on a device that holds one, or ask for help.",
  passkey_not_accepted:
    "This passkey cannot sign in to this site: it was not made through this site's sign-up, and it has been removed. Sign in with another passkey.",
  transaction_expired: "The passkey request expired. Try again.",
  rate_limited: "Too many attempts. Wait a moment, then try again.",
};

/**
 * The SDK reports a passkey passbridge does not know (removed from the
 * account, or never registered) as 422 webauthn_verification_failed with
 * this exact message.
 */
function isRemovedPasskey(err) {
  return err?.name === "PassageFlexError" && err.code === "webauthn_verification_failed" &&
    err.message === "passkey not recognised";
}

function showError(err) {
  let code = err?.code || err?.name || "error";
  let text;
  if (isRemovedPasskey(err)) {
    code = "passkey_removed";
    text = "This passkey is no longer registered with this site: it was removed from your account. " +
      "Sign in with another of your passkeys, and delete this one from your device or password manager.";
  } else {
    text = (err?.code ? refusalMessages[err.code] : browserMessages[err?.name]) || err?.message || String(err);
  }
  message.textContent = `${text} (${code})`;
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

/** Disables every button while an action runs; locked ones stay disabled. */
function setBusy(busy) {
  for (const b of document.querySelectorAll("button")) {
    b.disabled = busy || "locked" in b.dataset;
  }
}

/**
 * Runs one user action with the buttons disabled, shows its failure, and
 * re-arms the autofill sign-in when the page is left signed out.
 */
async function act(fn) {
  setBusy(true);
  clearMessage();
  try {
    await fn();
  } catch (err) {
    // AbortError: another ceremony replaced this one; nothing to report.
    if (err?.name !== "AbortError") {
      showError(err);
    }
  } finally {
    setBusy(false);
    armAutofill();
  }
}

/** Trades a ceremony's nonce for a session, then shows the account. */
async function finishSignIn(nonce) {
  await api("/api/verify", { nonce });
  await showAccount();
}

async function showAccount() {
  const me = await api("/api/me");
  who.textContent = `Signed in as ${me.username}`;
  renderDevices(me.devices);
  dataDeletion.textContent = me.data_deletion_confirmed_at
    ? `Deletion of your data confirmed ${formatTime(me.data_deletion_confirmed_at)}.`
    : "";
  show("signed-in");
}

const typeNames = {
  passkey: "Synced passkey",
  platform: "This device only",
  security_key: "Security key",
};

function formatTime(iso) {
  return new Date(iso).toLocaleString();
}

/**
 * The authenticator's icon: a <picture> whose dark icon the browser picks
 * when the page is dark (prefers-color-scheme), the light one otherwise, or
 * a generic key when passbridge knows no icon for it. The icons are SVG
 * data: URIs from passbridge's authenticator list.
 */
function deviceIcon(d) {
  const light = d.icon_light ?? d.icon_dark;
  const dark = d.icon_dark ?? d.icon_light;
  const picture = document.createElement("picture");
  const img = document.createElement("img");
  img.alt = "";
  img.width = img.height = 32;
  if (dark && dark !== light) {
    const source = document.createElement("source");
    source.media = "(prefers-color-scheme: dark)";
    // A srcset splits candidates at white space, which a data: URI may hold.
    source.srcset = dark.replace(/\s/g, encodeURIComponent);
    picture.append(source);
  }
  img.src = light ?? "/static/passkey.svg";
  picture.append(img);
  return picture;
}

function cell(content, className) {
  const td = document.createElement("td");
  if (className) {
    td.className = className;
  }
  td.append(content);
  return td;
}

function rowButton(text, label, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

function renderDevices(devices) {
  deviceRows.replaceChildren(
    ...devices.map((d) => {
      const tr = document.createElement("tr");
      tr.dataset.deviceId = d.id;
      tr.dataset.type = d.type;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = d.name;
      const created = document.createElement("time");
      created.dateTime = d.created_at;
      created.textContent = new Date(d.created_at).toLocaleDateString();
      const used = document.createElement("time");
      if (d.last_login_at) {
        used.dateTime = d.last_login_at;
        used.textContent = formatTime(d.last_login_at);
      } else {
        used.textContent = "Never";
      }
      const actions = document.createElement("div");
      actions.className = "row-actions";
      const remove = rowButton("Remove", `Remove ${d.name}`, "remove", () => removeDevice(d));
      if (!d.removable) {
        remove.dataset.locked = "";
        remove.disabled = true;
        remove.title = "Your only passkey cannot be removed";
      }
      actions.append(rowButton("Rename", `Rename ${d.name}`, "rename", () => renameDevice(d)), remove);
      tr.append(
        cell(deviceIcon(d), "icon"),
        cell(name),
        cell(typeNames[d.type] ?? d.type, "type"),
        cell(created, "created"),
        cell(used, "used"),
        cell(String(d.usage_count), "uses"),
        cell(actions),
      );
      return tr;
    }),
  );
  lastPasskey.hidden = devices.every((d) => d.removable);
}

/**
 * Opens a dialog and resolves to the value of the button that closed it.
 * A dialog's "close" event is dispatched after it closes, as a task: one
 * from an earlier closing may arrive after the dialog opened again, and is
 * not this opening's answer.
 */
function ask(dialog) {
  return new Promise((resolve) => {
    dialog.returnValue = "";
    const onClose = () => {
      if (dialog.open) {
        return;
      }
      dialog.removeEventListener("close", onClose);
      resolve(dialog.returnValue);
    };
    dialog.addEventListener("close", onClose);
    dialog.showModal();
  });
}

async function renameDevice(d) {
  renameInput.value = d.name;
  if ((await ask(renameDialog)) !== "save") {
    return;
  }
  await act(async () => {
    const renamed = await api(`/api/devices/${encodeURIComponent(d.id)}`, { name: renameInput.value }, "PATCH");
    await showAccount();
    status.textContent = `Renamed to ${renamed.name}.`;
  });
}

async function removeDevice(d) {
  el("remove-title").textContent = `Remove “${d.name}”?`;
  if ((await ask(removeDialog)) !== "remove") {
    return;
  }
  await act(async () => {
    await api(`/api/devices/${encodeURIComponent(d.id)}`, undefined, "DELETE");
    await showAccount();
    status.textContent = `Removed ${d.name}.`;
  });
}

/**
 * Offers the user's passkeys in the username field's autofill while the
 * page is signed out (conditional mediation). The request waits until the
 * user picks a passkey; any button's ceremony aborts it, and the action
 * re-arms it afterwards.
 */
function armAutofill() {
  if (autofill || signedOut.hidden) {
    return;
  }
  const mine = {};
  autofill = mine;
  (async () => {
    try {
      if (!(await flex.passkey.canUseConditionalMediation())) {
        return;
      }
      const nonce = await flex.passkey.authenticate({ isConditionalMediation: true });
      autofill = null;
      await act(() => finishSignIn(nonce));
    } catch (err) {
      // AbortError: a button started a ceremony. NotAllowedError: the
      // browser ended the request. Neither is news to the user.
      if (err?.name !== "AbortError" && err?.name !== "NotAllowedError") {
        showError(err);
      }
    } finally {
      if (autofill === mine) {
        autofill = null;
      }
    }
  })();
}

el("create").addEventListener("click", () =>
  act(async () => {
    const { transaction_id: transactionId } = await api("/api/register", { username: usernameInput.value });
    await finishSignIn(await flex.passkey.register(transactionId));
  }),
);

signedOut.addEventListener("submit", (event) => {
  event.preventDefault();
  act(async () => {
    const username = usernameInput.value.trim();
    let nonce;
    if (username) {
      // The person said who they are: only that user's passkeys will do.
      const { transaction_id: transactionId } = await api("/api/authenticate", { username });
      nonce = await flex.passkey.authenticate({ transactionId });
    } else {
      // Whoever's passkey the person picks.
      nonce = await flex.passkey.authenticate();
    }
    await finishSignIn(nonce);
  });
});

el("add-passkey").addEventListener("click", () =>
  act(async () => {
    const { transaction_id: transactionId } = await api("/api/register", {});
    await finishSignIn(await flex.passkey.register(transactionId));
    status.textContent = "Passkey added.";
  }),
);

// A sensitive action: the backend runs it only with a fresh passkey
// confirmation of the signed-in user, from an authenticate transaction it
// creates for that user.
el("delete-data").addEventListener("click", () =>
  act(async () => {
    const { transaction_id: transactionId } = await api("/api/delete-data/start", {});
    const nonce = await flex.passkey.authenticate({ transactionId });
    await api("/api/delete-data", { nonce });
    await showAccount();
    status.textContent = "Deletion of your data confirmed.";
  }),
);

el("sign-out").addEventListener("click", () =>
  act(async () => {
    await api("/api/signout", {});
    usernameInput.value = "";
    show("signed-out");
  }),
);

async function start() {
  try {
    const sdk = await import(`${passbridgeUrl}/sdk/flex.js`);
    flex = new sdk.PassageFlex(appId, { baseUrl: passbridgeUrl });
  } catch (err) {
    loading.textContent = "Passkeys are unavailable: the passkey service cannot be reached.";
    showError(err);
    return;
  }
  try {
    await showAccount();
  } catch (err) {
    show("signed-out");
    if (err?.code !== "not_signed_in") {
      showError(err);
    }
  }
  setBusy(false);
  armAutofill();
}

start();
