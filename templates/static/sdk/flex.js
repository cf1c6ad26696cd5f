/**
 * passbridge browser SDK: passkey registration and authentication against the
 * Flex-compatible client API. It keeps the API of the Passage Passkey Flex
 * browser SDK, so a page moves by changing the module it imports:
 *
 *     import { PassageFlex } from "https://id.example.com/sdk/flex.js";
 *     const flex = new PassageFlex(appId);
 *     const nonce = await flex.passkey.register(transactionId);
 *
 * The page hands the nonce to its backend, which redeems it for the user's
 * external ID. Without a baseUrl, requests go to the origin this module was
 * loaded from.
 *
 * @module
 */

/** Version of this SDK, sent with every request as `Passage-Flex-Version`. */
export const VERSION = "1.0.0";

const defaultBaseUrl = new URL(import.meta.url).origin;

/**
 * The error every method rejects with.
 *
 * When the browser's WebAuthn call failed, `name` is the browser's
 * DOMException name (`NotAllowedError` when the user cancelled or no
 * authenticator could answer, `InvalidStateError` when the authenticator
 * already holds a passkey of this user, `AbortError` when a newer ceremony
 * replaced this one, …). When the server refused, `name` is
 * `"PassageFlexError"`, `code` is the server's error code and `status` the HTTP
 * status. A failed request (network, CORS) has the name `"NetworkError"`.
 */
export class PassageFlexError extends Error {
  /**
   * @param {string} message what went wrong, for people
   * @param {{name?: string, code?: string, status?: number, cause?: unknown}} [details]
   */
  constructor(message, { name = "PassageFlexError", code, status, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    /** @type {string} */
    this.name = name;
    /** @type {string | undefined} the server's error code, e.g. "transaction_not_found" */
    this.code = code;
    /** @type {number | undefined} the HTTP status of a server refusal */
    this.status = status;
  }
}

// Browsers run one WebAuthn request per page at a time: a pending one (above
// all a conditional request waiting for autofill, which may wait forever) must
// be aborted before another can start. The page has one slot, so all
// PassageFlex instances share it.
let pending = null;

/** Aborts whatever ceremony is pending and returns the signal of a new one. */
function takeOver() {
  if (pending) {
    pending.abort(new DOMException("a newer passkey ceremony replaced this one", "AbortError"));
  }
  pending = new AbortController();
  return pending;
}

function release(controller) {
  if (pending === controller) {
    pending = null;
  }
}

/** The Flex client API of one app, reached over fetch. */
class Client {
  #base;

  constructor(baseUrl, appId) {
    this.#base = `${baseUrl.replace(/\/+$/, "")}/v1/apps/${encodeURIComponent(appId)}/`;
  }

  /**
   * POSTs body as JSON to path and returns the parsed answer, or throws a
   * PassageFlexError carrying the server's code and message.
   */
  async post(path, body, signal) {
    let res;
    try {
      res = await fetch(this.#base + path, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Passage-Flex-Version": VERSION },
        body: JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
        signal,
      });
    } catch (err) {
      // fetch rejects with a bare TypeError whatever failed (network, CORS):
      // only an abort by a newer ceremony keeps its own name.
      const name = err?.name === "AbortError" ? "AbortError" : "NetworkError";
      throw new PassageFlexError(err?.message || name, { name, cause: err });
    }
    let text = "";
    try {
      text = await res.text();
    } catch (err) {
      // A newer ceremony may abort this one while its answer is read.
      if (err?.name === "AbortError" || signal?.aborted) {
        throw new PassageFlexError(err?.message || "AbortError", { name: "AbortError", cause: err });
      }
    }
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // A proxy's HTML error page: reported below by status alone.
    }
    if (!res.ok) {
      const message = typeof data?.error === "string" ? data.error : `request failed with HTTP ${res.status}`;
      const code = typeof data?.code === "string" ? data.code : "unexpected_response";
      throw new PassageFlexError(message, { code, status: res.status });
    }
    if (data === null || typeof data !== "object") {
      throw unexpected(res.status, "the server answered without a JSON object");
    }
    return data;
  }
}

function unexpected(status, message) {
  return new PassageFlexError(message, { code: "unexpected_response", status });
}

/** Wraps an exception the browser's WebAuthn call threw, keeping its name. */
function browserError(err, fallbackName) {
  const name = err?.name && err.name !== "Error" ? err.name : fallbackName;
  return new PassageFlexError(err?.message || name, { name, cause: err });
}

/** Reads the handshake of a start answer. */
function handshakeOf(data) {
  const h = data.handshake;
  if (typeof h?.id !== "string" || typeof h?.challenge?.publicKey !== "object" || h.challenge.publicKey === null) {
    throw unexpected(200, "the server's start answer has no handshake");
  }
  return { id: h.id, publicKey: h.challenge.publicKey };
}

/** Reads the nonce of a finish answer. */
function nonceOf(data) {
  if (typeof data.nonce !== "string" || data.nonce === "") {
    throw unexpected(200, "the server's finish answer has no nonce");
  }
  return data.nonce;
}

// ---- WebAuthn JSON (WebAuthn L3 §5.1.8, §5.1.9): native where the browser
// has it, otherwise the same conversion by hand. ----

/** @param {string} s base64url, padded or not */
function fromBase64url(s) {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) {
    out[i] = bin.charCodeAt(i);
  }
  return out.buffer;
}

/** @param {ArrayBuffer | ArrayBufferView} buf @returns {string} unpadded base64url */
function toBase64url(buf) {
  const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  let bin = "";
  for (let i = 0; i < bytes.length; i++) {
    bin += String.fromCharCode(bytes[i]);
  }
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function descriptorFromJSON(d) {
  return { ...d, id: fromBase64url(d.id) };
}

function creationOptions(json) {
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  const opts = { ...json, challenge: fromBase64url(json.challenge), user: { ...json.user, id: fromBase64url(json.user.id) } };
  if (json.excludeCredentials) {
    opts.excludeCredentials = json.excludeCredentials.map(descriptorFromJSON);
  }
  return opts;
}

function requestOptions(json) {
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  const opts = { ...json, challenge: fromBase64url(json.challenge) };
  if (json.allowCredentials) {
    opts.allowCredentials = json.allowCredentials.map(descriptorFromJSON);
  }
  return opts;
}

/** Encodes binary values nested in extension outputs (prf, largeBlob) as toJSON does. */
function encodeBinary(v) {
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
    return toBase64url(v);
  }
  if (Array.isArray(v)) {
    return v.map(encodeBinary);
  }
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeBinary(x)]));
  }
  return v;
}

/** Fields both response kinds share. */
function credentialJSON(cred, response) {
  const json = {
    id: cred.id,
    rawId: toBase64url(cred.rawId),
    type: cred.type,
    response,
    clientExtensionResults: encodeBinary(cred.getClientExtensionResults()),
  };
  if (cred.authenticatorAttachment) {
    json.authenticatorAttachment = cred.authenticatorAttachment;
  }
  return json;
}

/** @returns RegistrationResponseJSON */
function registrationJSON(cred) {
  if (typeof cred.toJSON === "function") {
    return cred.toJSON();
  }
  const r = cred.response;
  const response = {
    clientDataJSON: toBase64url(r.clientDataJSON),
    attestationObject: toBase64url(r.attestationObject),
    transports: typeof r.getTransports === "function" ? r.getTransports() : [],
  };
  if (typeof r.getAuthenticatorData === "function") {
    response.authenticatorData = toBase64url(r.getAuthenticatorData());
  }
  if (typeof r.getPublicKeyAlgorithm === "function") {
    response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
  }
  // null when the browser cannot express the key as SPKI (an unknown algorithm).
  const publicKey = typeof r.getPublicKey === "function" ? r.getPublicKey() : null;
  if (publicKey) {
    response.publicKey = toBase64url(publicKey);
  }
  return credentialJSON(cred, response);
}

/** @returns AuthenticationResponseJSON */
function authenticationJSON(cred) {
  if (typeof cred.toJSON === "function") {
    return cred.toJSON();
  }
  const r = cred.response;
  const response = {
    clientDataJSON: toBase64url(r.clientDataJSON),
    authenticatorData: toBase64url(r.authenticatorData),
    signature: toBase64url(r.signature),
  };
  if (r.userHandle) {
    response.userHandle = toBase64url(r.userHandle);
  }
  return credentialJSON(cred, response);
}

/** Runs one navigator.credentials call, turning its failure into a PassageFlexError. */
async function credentialsCall(fn) {
  let cred;
  try {
    cred = await fn();
  } catch (err) {
    throw browserError(err, "NotAllowedError");
  }
  if (!cred) {
    throw new PassageFlexError("the browser returned no credential", { name: "NotAllowedError" });
  }
  return cred;
}

// ---- Capabilities ----

function webAuthnPresent() {
  return globalThis.isSecureContext === true && typeof globalThis.PublicKeyCredential === "function";
}

/** getClientCapabilities() (WebAuthn L3), or {} where the browser lacks it. */
async function capabilities() {
  if (typeof PublicKeyCredential.getClientCapabilities !== "function") {
    return {};
  }
  try {
    return (await PublicKeyCredential.getClientCapabilities()) ?? {};
  } catch {
    return {};
  }
}

async function platformAuthenticator() {
  try {
    return (await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable?.()) === true;
  } catch {
    return false;
  }
}

/**
 * Reports whether this device can create a passkey: the browser does WebAuthn
 * in this secure context and offers a user-verifying platform authenticator
 * (Touch ID, Windows Hello, a phone's screen lock, a password manager).
 *
 * @returns {Promise<boolean>} never rejects
 */
export async function canRegisterPasskey() {
  if (!webAuthnPresent()) {
    return false;
  }
  const caps = await capabilities();
  if (caps.passkeyPlatformAuthenticator === true || caps.userVerifyingPlatformAuthenticator === true) {
    return true;
  }
  return platformAuthenticator();
}

/**
 * Reports whether the user can sign in with a passkey here: held by this
 * device's platform authenticator, or by a phone reached over the hybrid
 * transport.
 *
 * @returns {Promise<boolean>} never rejects
 */
export async function canAuthenticateWithPasskey() {
  if (!webAuthnPresent()) {
    return false;
  }
  const caps = await capabilities();
  if (caps.passkeyPlatformAuthenticator === true || caps.hybridTransport === true || caps.userVerifyingPlatformAuthenticator === true) {
    return true;
  }
  return platformAuthenticator();
}

/**
 * Reports whether the browser offers passkeys in the autofill of an
 * `<input autocomplete="username webauthn">` (conditional mediation).
 *
 * @returns {Promise<boolean>} never rejects
 */
export async function canUseConditionalMediation() {
  if (!webAuthnPresent()) {
    return false;
  }
  const caps = await capabilities();
  if (typeof caps.conditionalGet === "boolean") {
    return caps.conditionalGet;
  }
  try {
    return (await PublicKeyCredential.isConditionalMediationAvailable?.()) === true;
  } catch {
    return false;
  }
}

// ---- Ceremonies ----

/**
 * Passkey ceremonies of one app. Reach it as `new PassageFlex(appId).passkey`.
 */
export class PassageFlexPasskey {
  #client;

  /** @param {Client} client */
  constructor(client) {
    this.#client = client;
  }

  /**
   * Registers a passkey for the user of a register transaction, which the
   * app's backend created.
   *
   * @param {string} transactionId the register transaction
   * @param {{authenticatorAttachment?: "platform" | "cross-platform" | "any"}} [options]
   *   which authenticators may answer: this device's ("platform", the default),
   *   a security key or phone ("cross-platform"), or any
   * @returns {Promise<string>} the nonce for the backend to verify
   * @throws {PassageFlexError} `InvalidStateError` when the authenticator already holds a passkey of this user
   */
  async register(transactionId, { authenticatorAttachment = "platform" } = {}) {
    requireTransactionId(transactionId);
    const controller = takeOver();
    try {
      const start = await this.#client.post(
        "register/transactions/webauthn/start",
        { transaction_id: transactionId, authenticator_attachment: authenticatorAttachment },
        controller.signal,
      );
      const handshake = handshakeOf(start);
      const cred = await credentialsCall(() =>
        navigator.credentials.create({ publicKey: creationOptions(handshake.publicKey), signal: controller.signal }),
      );
      // The authenticator has acted: the finish must reach the server even if
      // a newer ceremony starts now, so it is not tied to the signal.
      release(controller);
      const finish = await this.#client.post("register/transactions/webauthn/finish", {
        transaction_id: transactionId,
        handshake_id: handshake.id,
        handshake_response: registrationJSON(cred),
      });
      return nonceOf(finish);
    } finally {
      release(controller);
    }
  }

  /**
   * Authenticates a user with a passkey.
   *
   * Without a transactionId the authentication is discoverable: whichever
   * passkey of the app the user picks names the user. With
   * `isConditionalMediation: true` the request waits, without a dialog, for the
   * user to pick a passkey from the autofill of an
   * `<input autocomplete="username webauthn">`; any later ceremony aborts it.
   *
   * When the server refuses the passkey because the app does not know it
   * (removed, or never registered), the SDK tells the browser's passkey
   * provider with `PublicKeyCredential.signalUnknownCredential` where the
   * browser has it, so the stale passkey stops being offered.
   *
   * @param {{transactionId?: string, isConditionalMediation?: boolean}} [options]
   * @returns {Promise<string>} the nonce for the backend to verify
   * @throws {PassageFlexError} `NotAllowedError` when the user cancelled or has no passkey here
   */
  async authenticate({ transactionId, isConditionalMediation = false } = {}) {
    // "" counts as absent, as it did for the Passage SDK's callers.
    const bound = transactionId !== undefined && transactionId !== null && transactionId !== "";
    if (bound) {
      requireTransactionId(transactionId);
    }
    // Take the slot before the first await, so ceremonies replace each other
    // in the order the page started them.
    const controller = takeOver();
    try {
      if (isConditionalMediation && !(await canUseConditionalMediation())) {
        throw new PassageFlexError("this browser does not offer passkeys in autofill", { name: "NotSupportedError" });
      }
      const startBody = bound ? { transaction_id: transactionId } : {};
      const start = await this.#client.post("authenticate/transactions/webauthn/start", startBody, controller.signal);
      const handshake = handshakeOf(start);
      const mediation = isConditionalMediation ? "conditional" : undefined;
      const cred = await credentialsCall(() =>
        navigator.credentials.get({ publicKey: requestOptions(handshake.publicKey), mediation, signal: controller.signal }),
      );
      release(controller);
      const finishBody = { handshake_id: handshake.id, handshake_response: authenticationJSON(cred) };
      if (bound) {
        finishBody.transaction_id = transactionId;
      }
      let finish;
      try {
        finish = await this.#client.post("authenticate/transactions/webauthn/finish", finishBody);
      } catch (err) {
        if (isUnknownCredential(err)) {
          signalUnknownCredential(handshake.publicKey.rpId ?? location.hostname, cred.id);
        }
        throw err;
      }
      return nonceOf(finish);
    } finally {
      release(controller);
    }
  }

  /** @returns {Promise<boolean>} see the top-level canRegisterPasskey */
  canRegisterPasskey() {
    return canRegisterPasskey();
  }

  /** @returns {Promise<boolean>} see the top-level canAuthenticateWithPasskey */
  canAuthenticateWithPasskey() {
    return canAuthenticateWithPasskey();
  }

  /** @returns {Promise<boolean>} see the top-level canUseConditionalMediation */
  canUseConditionalMediation() {
    return canUseConditionalMediation();
  }
}

// ---- WebAuthn Signals API (WebAuthn L3 §5.1.10) ----

/**
 * The server's reason for refusing an assertion whose credential it does not
 * know (never registered with the app, or removed): a 422
 * webauthn_verification_failed with exactly this message. passbridge keeps
 * this text stable for this one case.
 */
const unknownCredentialReason = "passkey not recognised";

function isUnknownCredential(err) {
  return (
    err?.name === "PassageFlexError" &&
    err.status === 422 &&
    err.code === "webauthn_verification_failed" &&
    err.message === unknownCredentialReason
  );
}

/**
 * Tells the passkey provider that the app no longer knows credentialId, so it
 * can hide or remove that passkey: only where the browser has the Signals API,
 * and never failing the ceremony's own outcome.
 */
function signalUnknownCredential(rpId, credentialId) {
  const signal = globalThis.PublicKeyCredential?.signalUnknownCredential;
  if (typeof signal !== "function" || !rpId || !credentialId) {
    return;
  }
  try {
    Promise.resolve(signal.call(PublicKeyCredential, { rpId, credentialId })).catch(() => {});
  } catch {
    // A browser that refuses the signal changes nothing here.
  }
}

function requireTransactionId(id) {
  if (typeof id !== "string" || id === "") {
    throw new PassageFlexError("a transaction id is required", { name: "TypeError" });
  }
}

/**
 * Entry point: the SDK for one app.
 *
 *     const flex = new PassageFlex("my-app-id");
 *     const nonce = await flex.passkey.authenticate();
 */
export class PassageFlex {
  /**
   * @param {string} appId the app's id
   * @param {{baseUrl?: string}} [options] where passbridge answers; defaults
   *   to the origin this module was loaded from
   */
  constructor(appId, { baseUrl = defaultBaseUrl } = {}) {
    if (typeof appId !== "string" || appId === "") {
      throw new PassageFlexError("an app id is required", { name: "TypeError" });
    }
    /** @readonly */
    this.appId = appId;
    /** @readonly */
    this.baseUrl = baseUrl;
    /** @readonly @type {PassageFlexPasskey} */
    this.passkey = new PassageFlexPasskey(new Client(baseUrl, appId));
  }
}

export { PassageFlex as PassbridgeFlex };
export default PassageFlex;
