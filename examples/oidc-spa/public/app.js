// The app's page. Signed out, it starts a sign-in (or a sign-up) at
// passbridge; signed in, it shows the ID token's claims and the tokens,
// renews them with the refresh token, calls passbridge's userinfo endpoint
// with the access token, asks for a fresh passkey ceremony (step-up), and
// signs out through passbridge's end_session endpoint.
//
// Everything on the page is made with DOM calls and textContent: no HTML is
// built from strings, and the Content-Security-Policy allows no inline
// script or style.
import { AppError, clearError, manager, noticeKey, showError, stepUpACR, timeOf } from "./auth.js";

const $ = (id) => document.getElementById(id);
const statusLine = $("status");
const box = $("message");
const signedOut = $("signed-out");
const signedIn = $("signed-in");
const renewed = $("renewed");
const buttons = ["sign-in", "sign-up", "renew", "call-userinfo", "confirm", "sign-out"].map($);

/** The data a sign-out keeps in its state, to recognise its answer. */
const signOutMark = "sign-out";

/** The user the page shows; a different access token in a loaded user is a renewal. */
let shown = null;
let renewals = 0;

// ---- What the page shows ----

/** A short SHA-256 fingerprint of a token: enough to see it change, nothing to use. */
async function fingerprint(token) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A <time> element for seconds since the epoch. */
function timeElement(seconds) {
  const t = timeOf(seconds);
  const el = document.createElement("time");
  el.dateTime = t.iso;
  el.textContent = t.text;
  return el;
}

/** Appends a term and its value to dl; value is text or a node. */
function pair(dl, term, value, attribute) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.append(value);
  if (attribute) {
    dd.setAttribute(attribute[0], attribute[1]);
  }
  dl.append(dt, dd);
}

function renderClaims(profile) {
  const dl = $("claims");
  dl.replaceChildren();
  const rows = [
    ["sub", "sub (your ID at the app)", profile.sub],
    ["name", "name", profile.name],
    ["acr", "acr (assurance)", profile.acr],
    ["amr", "amr (how)", Array.isArray(profile.amr) ? profile.amr.join(", ") : profile.amr],
    ["auth_time", "auth_time (passkey used at)", typeof profile.auth_time === "number" ? timeElement(profile.auth_time) : undefined],
    ["sid", "sid (passbridge session)", profile.sid],
  ];
  for (const [claim, term, value] of rows) {
    if (value !== undefined && value !== null && value !== "") {
      pair(dl, term, value, ["data-claim", claim]);
    }
  }
}

async function render(user) {
  shown = user;
  renderClaims(user.profile);
  $("access-token").textContent = await fingerprint(user.access_token);
  $("expires").replaceChildren(user.expires_at ? timeElement(user.expires_at) : "unknown");
  $("refresh-token").textContent = user.refresh_token
    ? "held in this tab; passbridge rotates it on every renewal"
    : "none: the tokens cannot be renewed without a new sign-in";
  $("scope").textContent = user.scope ?? "";
  statusLine.textContent = `Signed in as ${user.profile.name ?? user.profile.sub}.`;
  signedOut.hidden = true;
  signedIn.hidden = false;
}

function renderSignedOut({ confirmed = false } = {}) {
  shown = null;
  $("signed-out-note").hidden = !confirmed;
  $("userinfo-result").hidden = true;
  $("step-up").hidden = true;
  statusLine.textContent = "You are not signed in.";
  signedIn.hidden = true;
  signedOut.hidden = false;
}

function noteRenewal() {
  renewals += 1;
  const at = timeElement(Date.now() / 1000);
  renewed.replaceChildren("Tokens renewed at ", at, ` with the refresh token (${renewals} since this page opened).`);
  renewed.dataset.renewals = String(renewals);
}

/** Shows what the callback page left: the result of a step-up. */
function showNotice() {
  const raw = sessionStorage.getItem(noticeKey);
  sessionStorage.removeItem(noticeKey);
  let notice = null;
  try {
    notice = JSON.parse(raw);
  } catch {
    return;
  }
  if (notice?.kind !== "step-up") {
    return;
  }
  const p = $("step-up");
  p.replaceChildren(
    "Confirmed with a passkey at ",
    timeElement(notice.to),
    ": auth_time moved from ",
    timeElement(notice.from),
    ".",
  );
  p.dataset.from = String(notice.from);
  p.dataset.to = String(notice.to);
  p.hidden = false;
}

function renderUserinfo(claims) {
  const dl = $("userinfo");
  dl.replaceChildren();
  for (const [name, value] of Object.entries(claims)) {
    pair(dl, name, typeof value === "string" ? value : JSON.stringify(value), ["data-userinfo", name]);
  }
  $("userinfo-result").hidden = false;
}

// ---- Actions ----

/** Runs action with the buttons disabled; shows what went wrong. */
async function act(action, where) {
  clearError(box);
  buttons.forEach((b) => (b.disabled = true));
  try {
    await action();
  } catch (err) {
    console.error(`${where}:`, err);
    await failed(err, where);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

/** Shows err; a renewal that passbridge refused ends the sign-in here too. */
async function failed(err, where) {
  const code = showError(box, err, where);
  if (code === "sign_in_ended") {
    await manager.removeUser();
    renderSignedOut();
  }
  box.focus();
}

async function currentUser() {
  const user = await manager.getUser();
  if (!user) {
    renderSignedOut();
    throw new AppError("not_signed_in");
  }
  return user;
}

const actions = {
  "sign-in": () => manager.signinRedirect(),
  // OpenID Connect Prompt Create 1.0: passbridge's page registers a new
  // passkey (a new user) instead of signing in.
  "sign-up": () => manager.signinRedirect({ prompt: "create" }),
  // With a refresh token the library posts it to the token endpoint
  // (grant_type=refresh_token); the answer's tokens replace the user's,
  // and userLoaded shows them.
  renew: () => manager.signinSilent(),
  "call-userinfo": async () => {
    const user = await currentUser();
    const endpoint = await manager.metadataService.getUserInfoEndpoint();
    const res = await fetch(endpoint, {
      headers: { Authorization: `Bearer ${user.access_token}`, Accept: "application/json" },
      credentials: "omit",
      cache: "no-store",
    });
    if (res.status === 401) {
      throw new AppError("token_refused");
    }
    if (!res.ok) {
      throw new AppError("failed", `passbridge's userinfo endpoint answered ${res.status}.`);
    }
    const claims = await res.json();
    // OpenID Connect Core §5.3.4: userinfo's sub must be the ID token's.
    if (claims?.sub !== user.profile.sub) {
      throw new AppError("failed", "userinfo answered for another subject than the ID token's: not shown.");
    }
    renderUserinfo(claims);
  },
  // Step-up: a fresh passkey ceremony of this user, now. The callback page
  // checks the answer (sub, acr, auth_time) with what is carried in state.
  confirm: async () => {
    const user = await currentUser();
    await manager.signinRedirect({
      acr_values: stepUpACR,
      max_age: 0, // the ID token's auth_time must be now
      prompt: "login", // a ceremony, whatever passbridge's session
      login_hint: user.profile.sub, // only this user's passkeys
      state: {
        stepUp: { sub: user.profile.sub, previousAuthTime: user.profile.auth_time, askedAt: Math.floor(Date.now() / 1000) },
      },
    });
  },
  // Revokes the tokens (revokeTokensOnSignout), forgets the user, and goes
  // to end_session with id_token_hint, post_logout_redirect_uri and a state
  // (the library sends one only with data to keep), which passbridge sends
  // back.
  "sign-out": () => manager.signoutRedirect({ state: signOutMark }),
};

for (const button of buttons) {
  button.addEventListener("click", () => act(actions[button.id], button.id));
}

// ---- Start ----

manager.events.addUserLoaded(async (user) => {
  if (shown && user.access_token !== shown.access_token) {
    noteRenewal();
  }
  await render(user);
});
// An automatic renewal that failed.
manager.events.addSilentRenewError((err) => failed(err, "renew"));

// The browser may bring this page back from its cache as it was left
// (signed in, after a sign-out): read the state afresh.
window.addEventListener("pageshow", (e) => {
  if (e.persisted) {
    location.reload();
  }
});

async function start() {
  await manager.clearStaleState();
  let confirmed = false;
  const params = new URLSearchParams(location.search);
  if (params.has("state")) {
    // Back from passbridge's end_session: the state must be the one this
    // tab sent, or the page does not claim a sign-out it did not see.
    const url = location.href;
    history.replaceState(null, "", "/");
    try {
      const response = await manager.signoutRedirectCallback(url);
      confirmed = response.userState === signOutMark;
    } catch (err) {
      console.error("sign-out callback:", err);
      showError(box, new AppError("signed_out_unconfirmed"), "signout");
    }
  }
  const user = await manager.getUser();
  if (!user) {
    renderSignedOut({ confirmed });
    return;
  }
  await render(user);
  showNotice();
  if (user.expired) {
    await act(actions.renew, "renew");
  }
}

start().catch((err) => {
  console.error("start:", err);
  showError(box, err, "start");
});
