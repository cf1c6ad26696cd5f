// Test page of the browser tests: loads the SDK the way a customer page does
// and exposes its calls to the Go test as window functions that never reject.
//
// Query parameters:
//   app=ID        the app the SDK talks to (required)
//   sdk=URL       where to import the SDK from (default: this origin's /sdk/flex.js)
//   base=URL      where the SDK sends its calls (default: where it was imported from)
//   fallback      hide the browser's WebAuthn JSON helpers, so the SDK's own
//                 base64url conversion runs

const params = new URLSearchParams(location.search);

if (params.has("fallback")) {
  delete PublicKeyCredential.parseCreationOptionsFromJSON;
  delete PublicKeyCredential.parseRequestOptionsFromJSON;
  delete PublicKeyCredential.prototype.toJSON;
}

// Counts conditional requests that reached the browser and are still
// pending, so the test knows when one waits for autofill.
window.conditionalPending = 0;
const nativeGet = navigator.credentials.get.bind(navigator.credentials);
navigator.credentials.get = (options) => {
  if (options?.mediation !== "conditional") {
    return nativeGet(options);
  }
  window.conditionalPending++;
  return nativeGet(options).finally(() => window.conditionalPending--);
};

// Counts the SDK's calls whose answer has begun (status and headers), so
// the test knows when one is reading its body.
window.fetchesAnswered = 0;
const nativeFetch = window.fetch.bind(window);
window.fetch = (...args) =>
  nativeFetch(...args).then((res) => {
    window.fetchesAnswered++;
    return res;
  });

/** Settles p into {nonce} or the error's {name, code, status, message, flexError}. */
function settle(p, PassageFlexError) {
  return p.then(
    (nonce) => ({ nonce }),
    (e) => ({
      name: e?.name ?? "",
      code: e?.code ?? "",
      status: e?.status ?? 0,
      message: e?.message ?? String(e),
      flexError: e instanceof PassageFlexError,
    }),
  );
}

try {
  const sdk = await import(params.get("sdk") ?? "/sdk/flex.js");
  const flex = new sdk.PassageFlex(params.get("app"), params.has("base") ? { baseUrl: params.get("base") } : undefined);
  const other = (app) => (app ? new sdk.PassbridgeFlex(app) : flex);

  /** Registers a passkey for a register transaction; opts: {attachment, app}. */
  window.register = (transactionId, opts) =>
    settle(
      other(opts?.app).passkey.register(
        transactionId,
        opts?.attachment ? { authenticatorAttachment: opts.attachment } : undefined,
      ),
      sdk.PassageFlexError,
    );

  /** Authenticates, bound to a transaction or discoverable; opts: {conditional, app}. */
  window.authenticate = (transactionId, opts) => {
    const options = {};
    if (transactionId) {
      options.transactionId = transactionId;
    }
    if (opts?.conditional) {
      options.isConditionalMediation = true;
    }
    return settle(other(opts?.app).passkey.authenticate(options), sdk.PassageFlexError);
  };

  /** Starts a conditional (autofill) authentication and keeps its outcome for conditionalOutcome. */
  window.startConditional = () => {
    window.conditional = window.authenticate("", { conditional: true });
  };
  window.conditionalOutcome = () => window.conditional;

  /** What the SDK and the browser report about passkey support. */
  window.capabilities = async () => ({
    canRegister: await flex.passkey.canRegisterPasskey(),
    canRegisterTopLevel: await sdk.canRegisterPasskey(),
    canAuthenticate: await flex.passkey.canAuthenticateWithPasskey(),
    canConditional: await flex.passkey.canUseConditionalMediation(),
    nativeJSON:
      typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
      typeof PublicKeyCredential.prototype.toJSON === "function",
    baseUrl: flex.baseUrl,
    sameClass: sdk.PassbridgeFlex === sdk.PassageFlex && sdk.default === sdk.PassageFlex,
  });

  window.flexReady = true;
} catch (e) {
  window.flexLoadError = `${e?.name}: ${e?.message}`;
}
