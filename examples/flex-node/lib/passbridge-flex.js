/**
 * A Passkey Flex backend client for passbridge with the API of Passage's
 * retired Node.js SDK, `@passageidentity/passage-flex-node`: a backend that
 * used it moves to passbridge by changing its import and saying where
 * passbridge answers.
 *
 *     // import { PassageFlex } from "@passageidentity/passage-flex-node";
 *     import { PassageFlex } from "./lib/passbridge-flex.js";
 *
 *     const passage = new PassageFlex({ appId, apiKey, baseUrl: "https://id.example.com" });
 *     const transactionId = await passage.auth.createRegisterTransaction(externalId, displayName);
 *     const externalId = await passage.auth.verifyNonce(nonce);
 *
 * The methods, their arguments, what they resolve to (camelCase objects,
 * dates as Date) and what they reject with (PassageError with statusCode,
 * errorCode and message) are those of passage-flex-node 1.x. The flat
 * methods of 0.2.x (passage.createRegisterTransaction({...}),
 * passage.getUser, passage.getDevices, ...) are kept as well. Where passbridge
 * says more than Passage did, it is added without changing Passage's shapes:
 * auth.verifyNonceDetails (what the ceremony was, which passkey), device
 * fields beyond Passage's, user.renameDevice. See the README.
 *
 * No dependencies: Node's own fetch (Node 18 and later).
 *
 * @module
 */

/** The base URL when neither the option nor PASSBRIDGE_URL gives one: `passbridge serve`'s default. */
const defaultBaseUrl = "http://localhost:8080";

/** How long one call may take before it is abandoned. */
const defaultTimeoutMs = 10_000;

/**
 * The error codes of Passage's SDK (`PassageErrorCode`) that passbridge
 * answers with; passbridge has a few more (see its README), which arrive as
 * they are in `errorCode`.
 */
export const PassageErrorCode = Object.freeze({
  InvalidRequest: "invalid_request",
  AccessToken: "invalid_access_token",
  Nonce: "invalid_nonce",
  CannotCreateTransaction: "cannot_create_transaction",
  AppNotFound: "app_not_found",
  DeviceNotFound: "device_not_found",
  UserNotFound: "user_not_found",
  UserHasNoPasskeys: "user_has_no_passkeys",
  InternalServerError: "internal_server_error",
});

/** A passkey's kind, as Passage's SDK named them. */
export const WebAuthnType = Object.freeze({ Passkey: "passkey", SecurityKey: "security_key", Platform: "platform" });

/** A user's status, as Passage's SDK named them; passbridge's users are active or inactive. */
export const UserStatus = Object.freeze({ Active: "active", Inactive: "inactive", Pending: "pending" });

/**
 * A refusal by passbridge: the HTTP status and the `{code, error}` of its
 * answer. A failure to reach passbridge at all rejects with fetch's own
 * error instead, as Passage's SDK let its fetch errors through.
 */
export class PassageError extends Error {
  /**
   * @param {number} statusCode the HTTP status
   * @param {string} errorCode passbridge's snake_case code, e.g. "user_not_found"
   * @param {string} message what went wrong, for people
   */
  constructor(statusCode, errorCode, message) {
    super(message);
    this.name = "PassageError";
    /** @readonly */
    this.statusCode = statusCode;
    /** @readonly */
    this.errorCode = errorCode;
  }

  /** The code under its passage-flex-node 0.2.x name. */
  get statusText() {
    return this.errorCode;
  }
}

/** The management API of one app: JSON over fetch, with the app's API key. */
class Client {
  #appUrl;
  #apiKey;
  #fetch;
  #timeoutMs;

  constructor({ appId, apiKey, baseUrl, fetch, timeoutMs }) {
    this.#appUrl = `${baseUrl.replace(/\/+$/, "")}/v1/apps/${encodeURIComponent(appId)}`;
    this.#apiKey = apiKey;
    this.#fetch = fetch;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Sends body (if any) as JSON and resolves to the parsed answer (null for
   * an empty one); a non-2xx answer rejects with a PassageError.
   */
  async call(method, path, body) {
    const headers = { Authorization: `Bearer ${this.#apiKey}`, Accept: "application/json" };
    const init = { method, headers, signal: AbortSignal.timeout(this.#timeoutMs) };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await this.#fetch(this.#appUrl + path, init);
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a proxy's error page): judged by its status below.
    }
    if (!res.ok) {
      if (typeof data?.code === "string") {
        throw new PassageError(res.status, data.code, typeof data.error === "string" ? data.error : data.code);
      }
      throw new PassageError(res.status, PassageErrorCode.InternalServerError, `unexpected answer: HTTP ${res.status}`);
    }
    if (text && data === null) {
      throw new PassageError(res.status, PassageErrorCode.InternalServerError, "unexpected answer: not JSON");
    }
    return data;
  }
}

/** Throws Passage's plain Error for a missing argument, as its SDK did. */
function required(value, name) {
  if (typeof value !== "string" || value === "") {
    throw new Error(`${name} is required.`);
  }
}

function date(value) {
  return value === null || value === undefined ? null : new Date(value);
}

/**
 * A passkey as Passage's SDK returned it (`WebAuthnDevices`), and what
 * passbridge adds. `lastLoginAt` is null for a passkey never used to sign in.
 */
function toDevice(d) {
  return {
    createdAt: date(d.created_at),
    credId: d.cred_id,
    friendlyName: d.friendly_name,
    id: d.id,
    lastLoginAt: date(d.last_login_at),
    type: d.type,
    updatedAt: date(d.updated_at),
    usageCount: d.usage_count,
    icons: { light: d.icons?.light ?? null, dark: d.icons?.dark ?? null },
    // passbridge's additions
    aaguid: d.aaguid,
    authenticatorName: d.authenticator_name,
    backupEligible: d.backup_eligible,
    backedUp: d.backed_up,
    userVerified: d.user_verified,
    transports: d.transports ?? [],
  };
}

/** A user as Passage's SDK returned it (`PassageUser`). */
function toUser(u) {
  return {
    createdAt: date(u.created_at),
    externalId: u.external_id,
    id: u.id,
    lastLoginAt: date(u.last_login_at),
    loginCount: u.login_count,
    status: u.status,
    updatedAt: date(u.updated_at),
    userMetadata: u.user_metadata ?? null,
    webauthn: u.webauthn,
    webauthnDevices: (u.webauthn_devices ?? []).map(toDevice),
    webauthnTypes: u.webauthn_types ?? [],
  };
}

/** Passage's 1.x `auth`: transactions and nonces. */
export class Auth {
  #client;

  /** @param {Client} client */
  constructor(client) {
    this.#client = client;
  }

  /**
   * Lets the browser register a passkey for externalId (created at
   * passbridge if it is new), shown by the authenticator as
   * passkeyDisplayName. Also takes 0.2.x's single `{externalId,
   * passkeyDisplayName}` argument.
   *
   * @param {string | {externalId: string, passkeyDisplayName: string}} externalId
   * @param {string} [passkeyDisplayName]
   * @returns {Promise<string>} the transaction ID, for the page's `flex.passkey.register`
   */
  async createRegisterTransaction(externalId, passkeyDisplayName) {
    if (typeof externalId === "object" && externalId !== null) {
      ({ externalId, passkeyDisplayName } = externalId);
    }
    required(externalId, "externalId");
    required(passkeyDisplayName, "passkeyDisplayName");
    const out = await this.#client.call("POST", "/transactions/register", {
      external_id: externalId,
      passkey_display_name: passkeyDisplayName,
    });
    return out.transaction_id;
  }

  /**
   * Lets the browser authenticate externalId with one of that user's
   * passkeys. Also takes 0.2.x's `{externalId}`.
   *
   * @param {string | {externalId: string}} externalId
   * @returns {Promise<string>} the transaction ID, for `flex.passkey.authenticate({transactionId})`
   */
  async createAuthenticateTransaction(externalId) {
    if (typeof externalId === "object" && externalId !== null) {
      ({ externalId } = externalId);
    }
    required(externalId, "externalId");
    const out = await this.#client.call("POST", "/transactions/authenticate", { external_id: externalId });
    return out.transaction_id;
  }

  /**
   * Redeems the nonce of a finished ceremony, once.
   *
   * @param {string} nonce
   * @returns {Promise<string>} the external ID of the user the ceremony proved
   */
  async verifyNonce(nonce) {
    return (await this.verifyNonceDetails(nonce)).externalId;
  }

  /**
   * Redeems the nonce of a finished ceremony, once, and says what the
   * ceremony was (passbridge only). A backend that lets people sign up needs
   * `kind` and `deviceId`: see the README's sign-up rules.
   *
   * @param {string} nonce
   * @returns {Promise<{externalId: string, kind: "register" | "authenticate", deviceId: string,
   *   userVerified: boolean, backupEligible: boolean, backedUp: boolean}>}
   */
  async verifyNonceDetails(nonce) {
    required(nonce, "nonce");
    const out = await this.#client.call("POST", "/authenticate/verify", { nonce });
    return {
      externalId: out.external_id,
      kind: out.kind,
      deviceId: out.device_id,
      userVerified: out.user_verified,
      backupEligible: out.backup_eligible,
      backedUp: out.backed_up,
    };
  }
}

/** Passage's 1.x `user`: users and their passkeys, by external ID. */
export class User {
  #client;

  /** @param {Client} client */
  constructor(client) {
    this.#client = client;
  }

  /**
   * The user whose external ID is externalId, with their passkeys.
   *
   * @param {string} externalId
   * @returns {Promise<object>} Passage's PassageUser
   * @throws {PassageError} 404 user_not_found
   */
  async get(externalId) {
    return toUser(await this.#info(externalId));
  }

  /**
   * The user's passkeys, oldest first.
   *
   * @param {string} externalId
   * @returns {Promise<object[]>} Passage's WebAuthnDevices, and passbridge's additions
   * @throws {PassageError} 404 user_not_found
   */
  async listDevices(externalId) {
    const id = await this.#id(externalId);
    const out = await this.#client.call("GET", `/users/${encodeURIComponent(id)}/devices`);
    return out.devices.map(toDevice);
  }

  /**
   * Removes one of the user's passkeys; the user stays, also without one.
   *
   * @param {string | {externalId: string, deviceId: string}} externalId
   * @param {string} [deviceId]
   * @returns {Promise<void>}
   * @throws {PassageError} 404 user_not_found, device_not_found (also for another user's device)
   */
  async revokeDevice(externalId, deviceId) {
    if (typeof externalId === "object" && externalId !== null) {
      ({ externalId, deviceId } = externalId);
    }
    required(externalId, "externalId");
    required(deviceId, "deviceId");
    await this.#client.call("DELETE", this.#devicePath(await this.#id(externalId), deviceId));
  }

  /**
   * Renames one of the user's passkeys (passbridge only; Passage's SDK had
   * no such call).
   *
   * @param {string} externalId
   * @param {string} deviceId
   * @param {string} friendlyName 1 to 100 characters
   * @returns {Promise<object>} the renamed device
   * @throws {PassageError} 400 invalid_request, 404 user_not_found, device_not_found
   */
  async renameDevice(externalId, deviceId, friendlyName) {
    required(deviceId, "deviceId");
    required(friendlyName, "friendlyName");
    const path = this.#devicePath(await this.#id(externalId), deviceId);
    const out = await this.#client.call("PATCH", path, { friendly_name: friendlyName });
    return toDevice(out.device);
  }

  /** passbridge's ID of the user whose external ID is externalId. */
  async #id(externalId) {
    required(externalId, "externalId");
    const query = new URLSearchParams({ identifier: externalId, limit: "1" });
    const out = await this.#client.call("GET", `/users?${query}`);
    const user = out.users.find((u) => u.external_id === externalId);
    if (!user) {
      throw new PassageError(404, PassageErrorCode.UserNotFound, "User not found.");
    }
    return user.id;
  }

  async #info(externalId) {
    const id = await this.#id(externalId);
    return (await this.#client.call("GET", `/users/${encodeURIComponent(id)}`)).user;
  }

  #devicePath(userId, deviceId) {
    return `/users/${encodeURIComponent(userId)}/devices/${encodeURIComponent(deviceId)}`;
  }
}

/**
 * The SDK for one app: `new PassageFlex({ appId, apiKey, baseUrl })`.
 */
export class PassageFlex {
  /**
   * @param {{appId: string, apiKey: string, baseUrl?: string, fetch?: typeof fetch, timeoutMs?: number}} config
   *   `baseUrl` is where passbridge answers (without `/v1`); it defaults to
   *   the environment's PASSBRIDGE_URL, else http://localhost:8080.
   */
  constructor(config = {}) {
    if (!config.appId) {
      throw new Error("A Passage App ID is required. Please include {appId: YOUR_APP_ID, apiKey: YOUR_API_KEY}.");
    }
    if (!config.apiKey) {
      throw new Error("A Passage API key is required. Please include {appId: YOUR_APP_ID, apiKey: YOUR_API_KEY}.");
    }
    const baseUrl = config.baseUrl || globalThis.process?.env?.PASSBRIDGE_URL || defaultBaseUrl;
    const client = new Client({
      appId: config.appId,
      apiKey: config.apiKey,
      baseUrl,
      fetch: config.fetch ?? globalThis.fetch,
      timeoutMs: config.timeoutMs ?? defaultTimeoutMs,
    });
    /** @readonly */
    this.appId = config.appId;
    /** @readonly */
    this.baseUrl = baseUrl;
    /** @readonly */
    this.auth = new Auth(client);
    /** @readonly */
    this.user = new User(client);
  }

  // passage-flex-node 0.2.x: the same calls, flat on the instance.

  /** 0.2.x: `auth.createRegisterTransaction({externalId, passkeyDisplayName})`. */
  createRegisterTransaction(args) {
    return this.auth.createRegisterTransaction(args);
  }

  /** 0.2.x: `auth.createAuthenticateTransaction({externalId})`. */
  createAuthenticateTransaction(args) {
    return this.auth.createAuthenticateTransaction(args);
  }

  /** 0.2.x: `auth.verifyNonce(nonce)`. */
  verifyNonce(nonce) {
    return this.auth.verifyNonce(nonce);
  }

  /** 0.2.x: `user.get(externalId)`. */
  getUser(externalId) {
    return this.user.get(externalId);
  }

  /** 0.2.x: `user.listDevices(externalId)`. */
  getDevices(externalId) {
    return this.user.listDevices(externalId);
  }

  /** 0.2.x: `user.revokeDevice(externalId, deviceId)`, resolving to true. */
  async revokeDevice(externalId, deviceId) {
    await this.user.revokeDevice(externalId, deviceId);
    return true;
  }
}

export default PassageFlex;
