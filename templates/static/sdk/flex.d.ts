/**
 * passbridge browser SDK: passkey registration and authentication against the
 * Flex-compatible client API, with the API of the Passage Passkey Flex browser
 * SDK.
 *
 * @module
 */

/** Version of this SDK, sent with every request as `Passage-Flex-Version`. */
export declare const VERSION: string;

/** Which authenticators may answer a registration. */
export type AuthenticatorAttachment = "platform" | "cross-platform" | "any";

/** Options of {@link PassageFlexPasskey.register}. */
export interface RegisterOptions {
  /** This device's authenticator ("platform", the default), a security key or phone ("cross-platform"), or any. */
  authenticatorAttachment?: AuthenticatorAttachment;
}

/** Options of {@link PassageFlexPasskey.authenticate}. */
export interface AuthenticateOptions {
  /** An authenticate transaction the backend created; absent: a discoverable authentication. */
  transactionId?: string;
  /**
   * Wait, without a dialog, for the user to pick a passkey in the autofill of
   * an `<input autocomplete="username webauthn">`. Any later ceremony aborts it.
   */
  isConditionalMediation?: boolean;
}

/** Options of the {@link PassageFlex} constructor. */
export interface PassageFlexOptions {
  /** Where passbridge answers; defaults to the origin the SDK module was loaded from. */
  baseUrl?: string;
}

/**
 * The error every method rejects with.
 *
 * A failed WebAuthn call keeps the browser's DOMException name
 * (`NotAllowedError`, `InvalidStateError`, `AbortError`, `SecurityError`,
 * `NotSupportedError`, …). A server refusal has the name `"PassageFlexError"`
 * with the server's `code` and the HTTP `status`. A request that could not be
 * made has the name `"NetworkError"`.
 */
export declare class PassageFlexError extends Error {
  constructor(message: string, details?: { name?: string; code?: string; status?: number; cause?: unknown });
  /** The browser's DOMException name, "PassageFlexError", or "NetworkError". */
  name: string;
  /** The server's error code, e.g. `"transaction_not_found"`; `"unexpected_response"` for an answer that is not the API's. */
  readonly code: string | undefined;
  /** The HTTP status of a server refusal. */
  readonly status: number | undefined;
}

/** Passkey ceremonies of one app. */
export declare class PassageFlexPasskey {
  private constructor();
  /**
   * Registers a passkey for the user of a register transaction.
   * @returns the nonce for the backend to verify
   */
  register(transactionId: string, options?: RegisterOptions): Promise<string>;
  /**
   * Authenticates a user with a passkey: bound to a transaction's user, or
   * discoverable without one. A passkey the app does not know (removed, or
   * never registered) is reported to the browser's passkey provider with
   * `PublicKeyCredential.signalUnknownCredential`, where the browser has it.
   * @returns the nonce for the backend to verify
   */
  authenticate(options?: AuthenticateOptions): Promise<string>;
  /** Whether this device can create a passkey. Never rejects. */
  canRegisterPasskey(): Promise<boolean>;
  /** Whether the user can sign in with a passkey here or from a phone. Never rejects. */
  canAuthenticateWithPasskey(): Promise<boolean>;
  /** Whether the browser offers passkeys in autofill. Never rejects. */
  canUseConditionalMediation(): Promise<boolean>;
}

/** The SDK for one app. */
export declare class PassageFlex {
  constructor(appId: string, options?: PassageFlexOptions);
  readonly appId: string;
  readonly baseUrl: string;
  readonly passkey: PassageFlexPasskey;
}

export { PassageFlex as PassbridgeFlex };
export default PassageFlex;

/** Whether this device can create a passkey. Never rejects. */
export declare function canRegisterPasskey(): Promise<boolean>;
/** Whether the user can sign in with a passkey here or from a phone. Never rejects. */
export declare function canAuthenticateWithPasskey(): Promise<boolean>;
/** Whether the browser offers passkeys in autofill. Never rejects. */
export declare function canUseConditionalMediation(): Promise<boolean>;
