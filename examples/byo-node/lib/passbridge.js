// passbridge's start/finish passkey API, as this backend calls it: with the
// app's API key, server to server. The browser never talks to passbridge;
// it gets options from this backend and hands the authenticator's answer
// back to it.

/** How long one call to passbridge may take. */
const CALL_TIMEOUT_MS = 10_000;

/**
 * A refusal or failure of a passbridge call: status is the HTTP status (0
 * when passbridge could not be reached), code passbridge's error code (the
 * REST API's `code`, or the command form's `type`), message its
 * client-safe text.
 */
export class PassbridgeError extends Error {
  constructor(status, code, message, options) {
    super(message, options);
    this.name = "PassbridgeError";
    this.status = status;
    this.code = code;
  }
}

/**
 * The reason passbridge gives, with a 422 webauthn_verification_failed, for
 * an assertion whose passkey it does not hold: removed, or never registered.
 * passbridge keeps this text stable for this one case.
 */
export const UNKNOWN_PASSKEY_REASON = "passkey not recognised";

/** A client of one app's start/finish API. */
export class Passbridge {
  #base;
  #apiKey;
  #fetch;

  /**
   * @param {{passbridgeURL: string, appID: string, apiKey: string}} config
   * @param {typeof fetch} [fetchImpl]
   */
  constructor({ passbridgeURL, appID, apiKey }, fetchImpl = fetch) {
    this.#base = `${passbridgeURL}/v1/apps/${encodeURIComponent(appID)}`;
    this.#apiKey = apiKey;
    this.#fetch = fetchImpl;
  }

  /**
   * Registration options for userId's new passkey; passbridge creates the
   * user on first sight. name is what the passkey manager shows.
   * @returns {Promise<object>} PublicKeyCredentialCreationOptionsJSON
   */
  async startRegistration(userId, name) {
    const out = await this.#post("/passkeys/register/start", {
      user_id: userId,
      email_or_username: name,
      user_display_name: name,
    });
    return out.registrationOptions;
  }

  /**
   * Verifies the browser's RegistrationResponseJSON; the ceremony must be
   * userId's. @returns {Promise<object>} the new device
   */
  async finishRegistration(userId, response) {
    const out = await this.#post("/passkeys/register/finish", { user_id: userId, publicKey: response });
    return out.device;
  }

  /**
   * Authentication options: for userId's passkeys, or discoverable (any
   * passkey of the app, the autofill's too) when userId is empty.
   * @returns {Promise<object>} PublicKeyCredentialRequestOptionsJSON
   */
  async startAuthentication(userId) {
    const out = await this.#post("/passkeys/authenticate/start", userId ? { user_id: userId } : {});
    return out.authenticationOptions;
  }

  /**
   * Verifies the browser's AuthenticationResponseJSON.
   * @returns {Promise<{external_id: string, device: object}>}
   */
  async finishAuthentication(response) {
    return this.#post("/passkeys/authenticate/finish", { publicKey: response });
  }

  /**
   * userId's passkeys, oldest first (none for a user passbridge has never
   * seen). @returns {Promise<object[]>}
   */
  async passkeys(userId) {
    const out = await this.#command("FetchAllPasskeysForUser", { userId });
    return out.passkeys;
  }

  /** Removes userId's passkey credentialId (base64url). */
  async deregister(userId, credentialId) {
    await this.#command("DeregisterPasskey", { userId, credentialId });
  }

  /** POSTs body to the REST API; errors are {"code", "error"}. */
  async #post(path, body) {
    const { status, data } = await this.#call(path, body);
    if (status !== 200) {
      throw new PassbridgeError(status, data?.code ?? "", data?.error ?? `HTTP ${status}`);
    }
    return data;
  }

  /**
   * Runs a command of the PropelAuth-compatible command form; errors are
   * {"type", "details"}.
   */
  async #command(command, data) {
    const { status, data: out } = await this.#call("/run-command", { command, data });
    if (status !== 200) {
      throw new PassbridgeError(status, out?.type ?? "", out?.details?.message ?? `${command}: HTTP ${status}`);
    }
    return out;
  }

  async #call(path, body) {
    let res;
    try {
      res = await this.#fetch(this.#base + path, {
        method: "POST",
        headers: { Authorization: `Bearer ${this.#apiKey}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
    } catch (err) {
      throw new PassbridgeError(0, "", "passbridge cannot be reached", { cause: err });
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a proxy's error page): the status says enough.
    }
    return { status: res.status, data };
  }
}
