// "Confirm with passkey": what a step-up asks passbridge for, and the
// app's checks of the answer.
import { ACR_RANK } from "./config.js";

/** How far passbridge's clock may run ahead of or behind this app's (s). */
export const CLOCK_SKEW = 30;

/**
 * The authorization request's parameters of a step-up for the user sub: at
 * least the level acr, a ceremony now whatever passbridge's session, and
 * only this user's passkeys.
 */
export function stepUpParameters(sub, acr) {
  return { acr_values: acr, max_age: "0", login_hint: sub };
}

/** Why the answer to a step-up was not accepted. */
export class StepUpRefusal extends Error {}

/**
 * Accepts the claims of a step-up that flow asked for (acr_values,
 * max_age=0, login_hint) at flow.started (ms), for the session of user
 * flow.sub signed in at flow.authTime (s). passbridge should have enforced
 * all three, and openid-client has checked auth_time against max_age
 * (within its 30 seconds of clock tolerance); the app checks the rest
 * itself, because the request went through the browser, where anyone can
 * edit it, and only the signed ID token says what happened (OIDC Core
 * §3.1.2.1 leaves acr and auth_time to the client).
 */
export function checkStepUp(claims, flow, nowMs) {
  if (claims.sub !== flow.sub) {
    throw new StepUpRefusal(
      `the passkey that answered belongs to another account (${JSON.stringify(claims.sub)}, not ${JSON.stringify(flow.sub)})`,
    );
  }
  // OIDC Core §2: auth_time is required when max_age was asked.
  if (typeof claims.auth_time !== "number") {
    throw new StepUpRefusal("the ID token does not say when the passkey was used (no auth_time)");
  }
  // A new ceremony moves auth_time; the answer of passbridge's session
  // (single sign-on) keeps the one this session has.
  const at = claims.auth_time * 1000;
  if (claims.auth_time <= flow.authTime || at < flow.started - CLOCK_SKEW * 1000) {
    throw new StepUpRefusal(
      `the passkey was not used just now (auth_time ${new Date(at).toISOString()} is that of an earlier sign-in)`,
    );
  }
  if (at > nowMs + CLOCK_SKEW * 1000) {
    throw new StepUpRefusal(`the ID token's auth_time ${new Date(at).toISOString()} is in the future`);
  }
  if ((ACR_RANK.get(claims.acr) ?? 0) < ACR_RANK.get(flow.acr)) {
    throw new StepUpRefusal(
      `the sign-in's level (acr ${JSON.stringify(claims.acr ?? "")}) is below the one asked for (${JSON.stringify(flow.acr)})`,
    );
  }
}
