// The redirect URI's page: passbridge sends the browser here with the
// authorization code (or an error) and the state. oidc-client-ts checks the
// state against the sign-in this tab started, redeems the code with its
// PKCE verifier at passbridge's token endpoint, and stores the user; then
// the browser goes on to the app's page. A step-up's answer is checked
// before it replaces the sign-in it confirms.
import { AppError, acrAtLeast, client, manager, noticeKey, showError, stepUpACR } from "./auth.js";

const statusLine = document.getElementById("status");
const box = document.getElementById("message");
const back = document.getElementById("back");

/** Leeway for the clocks of this browser and passbridge, in seconds. */
const clockSkew = 60;

/**
 * Why profile (a step-up's ID token claims) is not the confirmation asked
 * for: "" when it is. OpenID Connect Core §3.1.2.1 leaves these checks to
 * the client: the request went through the browser, where anyone can edit
 * it, so only the token's claims count.
 */
function stepUpProblem(profile, asked) {
  if (profile.sub !== asked.sub) {
    return "passbridge confirmed another account.";
  }
  if (!acrAtLeast(profile.acr, stepUpACR)) {
    return `The passkey's level (acr ${profile.acr ?? "none"}) is below ${stepUpACR}.`;
  }
  if (typeof profile.auth_time !== "number") {
    return "The ID token has no auth_time.";
  }
  if (profile.auth_time <= asked.previousAuthTime) {
    return "auth_time did not move: passbridge answered with the earlier sign-in, not a new ceremony.";
  }
  if (profile.auth_time < asked.askedAt - clockSkew) {
    return "The passkey ceremony is older than the request for it.";
  }
  return "";
}

/** Revokes a refresh token at passbridge; a failure only means it lives until it expires. */
async function revoke(refreshToken) {
  if (!refreshToken) {
    return;
  }
  try {
    await client.revokeToken(refreshToken, "refresh_token");
  } catch (err) {
    console.warn("revoke the replaced refresh token:", err);
  }
}

async function finish() {
  // The code leaves the address bar (and the history) at once; a reload
  // of this page then has nothing to redeem.
  const url = location.href;
  history.replaceState(null, "", location.pathname);

  const previous = await manager.getUser(); // the sign-in a step-up confirms
  const user = await manager.signinRedirectCallback(url);
  const asked = user.state?.stepUp;
  if (asked) {
    const problem = stepUpProblem(user.profile, asked);
    if (problem) {
      // Not what was asked for: the new sign-in ends, the previous one stays.
      await revoke(user.refresh_token);
      await (previous ? manager.storeUser(previous) : manager.removeUser());
      throw new AppError("step_up_refused", problem);
    }
    sessionStorage.setItem(
      noticeKey,
      JSON.stringify({ kind: "step-up", from: asked.previousAuthTime, to: user.profile.auth_time }),
    );
  }
  // The sign-in this one replaces ends at passbridge too: nothing holds its
  // refresh token any more.
  if (previous?.refresh_token && previous.refresh_token !== user.refresh_token) {
    await revoke(previous.refresh_token);
  }
  location.replace("/");
}

finish().catch((err) => {
  console.error("sign-in callback:", err);
  statusLine.hidden = true;
  showError(box, err, "signin");
  back.hidden = false;
  box.focus();
});
