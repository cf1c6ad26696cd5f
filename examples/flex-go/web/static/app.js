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
const devicesList = el("devices");
const message = el("message");
const buttons = [...document.querySelectorAll("button")];

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

/** Calls this site's API: a GET without body, a JSON POST with one. */
async function api(path, body) {
  const init = body === undefined
    ? {}
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
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

// What to tell a person when the browser's WebAuthn call failed; the SDK
// keeps the browser's error name. Server refusals carry their own message.
const browserMessages = {
  NotAllowedError: "The passkey request was cancelled or timed out, or this device has no passkey for this site.",
  InvalidStateError: "This device already holds a passkey for this account.",
  NotSupportedError: "This browser cannot use passkeys here.",
  SecurityError: "This page may not use passkeys of this site.",
  NetworkError: "The passkey service cannot be reached.",
};

function showError(err) {
  const code = err?.code || err?.name || "error";
  const text = (!err?.code && browserMessages[err?.name]) || err?.message || String(err);
  message.textContent = `${text} (${code})`;
  message.dataset.code = code;
  message.hidden = false;
}

function clearMessage() {
  message.hidden = true;
  message.textContent = "";
  delete message.dataset.code;
}

function show(state) {
  loading.hidden = true;
  signedOut.hidden = state !== "signed-out";
  signedIn.hidden = state !== "signed-in";
}

function setBusy(busy) {
  for (const b of buttons) {
    b.disabled = busy;
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
  show("signed-in");
}

function renderDevices(devices) {
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  devicesList.replaceChildren(
    ...devices.map((d) => {
      const li = document.createElement("li");
      li.dataset.deviceId = d.id;
      const icon = (dark ? d.icon_dark : d.icon_light) ?? d.icon_light ?? d.icon_dark;
      if (icon) {
        const img = document.createElement("img");
        img.src = icon; // an SVG data: URI from passbridge's authenticator list
        img.alt = "";
        li.append(img);
      }
      const text = document.createElement("div");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = d.name;
      const detail = document.createElement("span");
      detail.className = "detail";
      const added = new Date(d.created_at).toLocaleDateString();
      const used = d.last_login_at ? `last used ${new Date(d.last_login_at).toLocaleString()}` : "not used to sign in yet";
      detail.textContent = `${d.type}, added ${added}, ${used}`;
      text.append(name, detail);
      li.append(text);
      return li;
    }),
  );
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
