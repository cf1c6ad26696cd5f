// Sign-out: the app's session, then passbridge's (OpenID Connect
// RP-Initiated Logout 1.0).
import * as client from "openid-client";

import { LOGOUT_COOKIE, SESSION_COOKIE } from "./cookies.js";
import { describe, PageError } from "./errors.js";
import { equal, randomId } from "./store.js";

/** How long the browser may take to come back from passbridge (ms). */
const LOGOUT_STATE_LIFETIME = 5 * 60 * 1000;

/**
 * POST /logout ends the app's session, then sends the browser to
 * passbridge's end-session endpoint (§2) with id_token_hint,
 * post_logout_redirect_uri and a state, to end passbridge's session too.
 * passbridge brings it back to the post-logout URL with the state. A post
 * from another site was refused before this; the form's token refuses one
 * that did not come from this session's page.
 */
export async function logout(app, req, res, form) {
  const s = app.currentSession(req);
  if (!s) {
    app.cookies.clear(res, SESSION_COOKIE);
    app.redirect(res, 303, "/");
    return;
  }
  if (!equal(form.get("csrf") ?? "", s.csrf)) {
    throw new PageError({
      status: 403,
      code: "invalid_csrf_token",
      title: "Sign-out refused",
      message: "This sign-out did not come from this app's page. Reload the page and try again.",
    });
  }
  app.sessions.end(s.id);
  app.cookies.clear(res, SESSION_COOKIE);
  app.log.info("signed out", { sub: s.claims.sub });

  let config;
  try {
    config = await app.rp.discover();
  } catch (err) {
    app.log.warn("passbridge's discovery failed; signed out of this app only", { err: describe(err) });
    app.redirect(res, 303, "/");
    return;
  }
  if (!config.serverMetadata().end_session_endpoint) {
    // Signed out here; passbridge's session stays until it expires.
    app.log.warn("passbridge offers no end-session endpoint; signed out of this app only");
    app.redirect(res, 303, "/");
    return;
  }
  const state = randomId();
  app.cookies.set(res, LOGOUT_COOKIE, state, LOGOUT_STATE_LIFETIME);
  // client_id is added by openid-client. The ID token names passbridge's
  // session (sid); it may have expired, which is fine for this (§2).
  const to = client.buildEndSessionUrl(config, {
    id_token_hint: s.idToken,
    post_logout_redirect_uri: app.cfg.postLogoutRedirectURI,
    state,
  });
  app.redirect(res, 303, to.href);
}
