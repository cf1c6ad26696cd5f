// Sign-in, sign-up and step-up: the authorization request (OIDC Core
// §3.1.2.1) and its answer at the callback (§3.1.2.5).
import * as client from "openid-client";

import { FLOW_COOKIE, SESSION_COOKIE } from "./cookies.js";
import { PageError, badAnswer, providerError, unavailable } from "./errors.js";
import { checkStepUp, stepUpParameters, StepUpRefusal } from "./stepup.js";
import { FLOW_LIFETIME, NoFlowError, SESSION_LIFETIME, TooManyFlowsError, WrongStateError } from "./store.js";

/**
 * GET /login starts a sign-in; with signup=1 a sign-up (a new user and
 * their first passkey), with step_up=1 a confirmation of the signed-in
 * user. It keeps a new flow (state, nonce, PKCE verifier) on the server,
 * binds it to the browser with a cookie, and sends the browser to
 * passbridge's authorization endpoint.
 */
export async function login(app, req, res, url) {
  const verifier = client.randomPKCECodeVerifier();
  const flow = { state: client.randomState(), nonce: client.randomNonce(), verifier, stepUp: false };
  const params = {
    redirect_uri: app.cfg.redirectURI,
    scope: "openid profile",
    state: flow.state,
    nonce: flow.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  };
  if (url.searchParams.get("signup")) {
    // OpenID Connect Prompt Create 1.0: passbridge registers a passkey for
    // a new user, where its app allows sign-up.
    params.prompt = "create";
  } else if (url.searchParams.get("step_up")) {
    const s = app.currentSession(req);
    if (!s) {
      throw new PageError({
        status: 400,
        code: "not_signed_in",
        title: "Not signed in",
        message: "Confirming with a passkey needs a signed-in session. Sign in first.",
      });
    }
    Object.assign(flow, {
      stepUp: true,
      sessionId: s.id,
      sub: s.claims.sub,
      authTime: s.claims.auth_time,
      acr: app.cfg.stepUpAcr,
    });
    Object.assign(params, stepUpParameters(flow.sub, flow.acr));
  }

  let config;
  try {
    config = await app.rp.discover();
  } catch (err) {
    throw unavailable(err);
  }
  let id;
  try {
    id = app.flows.add(flow);
  } catch (err) {
    if (!(err instanceof TooManyFlowsError)) {
      throw err;
    }
    throw new PageError({
      status: 503,
      code: "busy",
      title: "Try again in a moment",
      message: "Too many sign-ins are in progress right now.",
      cause: err,
    });
  }
  app.cookies.set(res, FLOW_COOKIE, id, FLOW_LIFETIME);
  app.redirect(res, 302, client.buildAuthorizationUrl(config, params).href);
}

/**
 * GET /callback takes passbridge's answer: it must be the answer to the
 * flow this browser started; openid-client redeems the code with the
 * flow's PKCE verifier and validates the ID token; then the browser gets a
 * new session, or for a step-up, its session the new claims.
 */
export async function callback(app, req, res, url) {
  const q = url.searchParams;
  let flow;
  try {
    flow = app.flows.take(app.cookies.get(req, FLOW_COOKIE), q.get("state"));
  } catch (err) {
    if (err instanceof WrongStateError) {
      // The flow stays, and so does its cookie: the sign-in this browser
      // started can still finish.
      throw new PageError({
        status: 400,
        code: "state_mismatch",
        title: "Sign-in refused",
        message: "This answer is not the one to the sign-in this browser started, so it was not accepted. Start again.",
        cause: err,
      });
    }
    if (err instanceof NoFlowError) {
      app.cookies.clear(res, FLOW_COOKIE);
      throw new PageError({
        status: 400,
        code: "no_sign_in_in_progress",
        title: "Sign-in refused",
        message:
          "This browser has no sign-in in progress: it finished already, took more than 10 minutes, " +
          "or was started in another browser. Start again.",
        cause: err,
      });
    }
    throw err;
  }
  app.cookies.clear(res, FLOW_COOKIE);
  if (!q.get("error") && !q.get("code")) {
    throw new PageError({
      status: 400,
      code: "invalid_callback",
      title: "Sign-in refused",
      message: "passbridge's answer carries neither a code nor an error. Start again.",
    });
  }

  const { claims, idToken } = await redeem(app, url, flow);
  if (!flow.stepUp) {
    const s = app.sessions.start({ claims, idToken }, app.cookies.get(req, SESSION_COOKIE));
    app.cookies.set(res, SESSION_COOKIE, s.id, SESSION_LIFETIME);
    app.log.info("signed in", { sub: claims.sub, acr: claims.acr, amr: claims.amr });
    app.redirect(res, 303, "/");
    return;
  }

  const s = app.currentSession(req);
  if (!s || s.id !== flow.sessionId) {
    throw new PageError({
      status: 400,
      code: "session_changed",
      title: "Confirmation refused",
      message: "The session this confirmation was for has ended. Sign in again.",
    });
  }
  try {
    checkStepUp(claims, flow, app.now());
  } catch (err) {
    if (err instanceof StepUpRefusal) {
      throw stepUpRefused(err.message, err);
    }
    throw err;
  }
  const next = app.sessions.start(
    { claims, idToken, stepUp: { from: s.claims.auth_time, to: claims.auth_time } },
    s.id,
  );
  app.cookies.set(res, SESSION_COOKIE, next.id, SESSION_LIFETIME);
  app.log.info("confirmed with a passkey", { sub: claims.sub, acr: claims.acr, amr: claims.amr });
  app.redirect(res, 303, "/");
}

/**
 * Has openid-client redeem the code with the flow's PKCE verifier (RFC
 * 7636 §4.5) and client_secret_basic, and validate the ID token (OIDC Core
 * §3.1.3.7): its signature with passbridge's keys, iss, aud, exp, the
 * flow's nonce, and for a step-up auth_time within max_age=0.
 */
async function redeem(app, url, flow) {
  let config;
  try {
    config = await app.rp.discover();
  } catch (err) {
    throw unavailable(err);
  }
  // The URL passbridge redirected to, as registered: openid-client sends it
  // to the token endpoint as redirect_uri. Built from the configuration, not
  // from the request's Host header.
  const current = new URL(app.cfg.redirectURI);
  current.search = url.search;
  let tokens;
  try {
    tokens = await client.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
      maxAge: flow.stepUp ? 0 : undefined,
    });
  } catch (err) {
    throw grantError(err, flow);
  }
  return { claims: tokens.claims(), idToken: tokens.id_token };
}

/** What the page says about a failed authorization code grant. */
function grantError(err, flow) {
  if (err instanceof client.AuthorizationResponseError) {
    return providerError(err.error, err.error_description, flow.stepUp);
  }
  if (err instanceof client.ResponseBodyError) {
    if (err.status >= 500) {
      return unavailable(new Error(`token endpoint answered ${err.status} ${err.error}`));
    }
    // Only the error code is logged: the body says nothing more of use.
    return new PageError({
      status: 400,
      code: "code_refused",
      title: "Sign-in refused",
      message: "passbridge refused this sign-in's code: it was used already or has expired. Sign in again.",
      cause: new Error(`token endpoint answered ${err.status} ${err.error}`),
    });
  }
  if (err instanceof client.ClientError) {
    if (flow.stepUp && causes(err).some((c) => c?.claim === "auth_time")) {
      return stepUpRefused("the passkey was not used just now (auth_time is older than max_age=0 allows)", err);
    }
    if (err.code === "OAUTH_RESPONSE_IS_NOT_CONFORM" || err.code === "OAUTH_RESPONSE_IS_NOT_JSON") {
      return unavailable(err);
    }
    return badAnswer(err);
  }
  // fetch failed: passbridge unreachable, or too slow.
  return unavailable(err);
}

/** err and the causes it wraps, outermost first. */
function causes(err) {
  const list = [];
  for (let c = err; c && list.length < 5; c = c.cause) {
    list.push(c);
  }
  return list;
}

function stepUpRefused(reason, cause) {
  return new PageError({
    status: 403,
    code: "step_up_refused",
    title: "Confirmation refused",
    message: `The confirmation was refused: ${reason}. You are still signed in as before.`,
    cause,
  });
}
