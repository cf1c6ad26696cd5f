// The Passage-compatible module against a real passbridge: every method's
// return shape, and its errors. Run by the Go test TestFlexNodeCompatModule,
// which starts passbridge, prepares a user with two passkeys and two
// unredeemed nonces, and passes them in the environment:
//
//   PASSBRIDGE_URL, PASSBRIDGE_APP_ID, PASSBRIDGE_API_KEY   the app
//   COMPAT_OTHER_API_KEY        an API key of another app
//   COMPAT_EXTERNAL_ID          the user with two passkeys
//   COMPAT_REGISTER_NONCE       the nonce of the user's first registration
//   COMPAT_AUTHENTICATE_NONCE   the nonce of an authentication with that passkey
//
// Without them every test is skipped. The tests run in order: later ones
// use what earlier ones left (the device renamed, then revoked).

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";

import { PassageError, PassageErrorCode, PassageFlex, UserStatus, WebAuthnType } from "../lib/passbridge-flex.js";

const env = process.env;
const names = ["PASSBRIDGE_URL", "PASSBRIDGE_APP_ID", "PASSBRIDGE_API_KEY", "COMPAT_OTHER_API_KEY",
  "COMPAT_EXTERNAL_ID", "COMPAT_REGISTER_NONCE", "COMPAT_AUTHENTICATE_NONCE"];
const missing = names.filter((n) => !env[n]);
const skip = missing.length > 0 && `set ${missing.join(", ")} (TestFlexNodeCompatModule does)`;

const config = { appId: env.PASSBRIDGE_APP_ID, apiKey: env.PASSBRIDGE_API_KEY, baseUrl: env.PASSBRIDGE_URL };
const externalId = env.COMPAT_EXTERNAL_ID;
const passage = skip ? null : new PassageFlex(config);

/** Passage's PassageUser fields, exactly. */
const userKeys = ["createdAt", "externalId", "id", "lastLoginAt", "loginCount", "status", "updatedAt",
  "userMetadata", "webauthn", "webauthnDevices", "webauthnTypes"];
/** Passage's WebAuthnDevices fields, then passbridge's. */
const deviceKeys = ["createdAt", "credId", "friendlyName", "id", "lastLoginAt", "type", "updatedAt", "usageCount", "icons",
  "aaguid", "authenticatorName", "backupEligible", "backedUp", "userVerified", "transports"];

/** Asserts that promise rejects with a PassageError of status and code. */
async function rejectsWith(promise, statusCode, errorCode) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof PassageError, `want a PassageError, got ${err?.name}: ${err?.message}`);
    assert.equal(err.name, "PassageError");
    assert.equal(err.statusCode, statusCode);
    assert.equal(err.errorCode, errorCode);
    assert.equal(err.statusText, errorCode); // 0.2.x's name of the code
    assert.ok(err.message.length > 0);
    return true;
  });
}

function assertDevice(d) {
  assert.deepEqual(Object.keys(d), deviceKeys);
  assert.ok(d.createdAt instanceof Date && !Number.isNaN(d.createdAt.getTime()));
  assert.ok(d.updatedAt instanceof Date);
  assert.ok(d.lastLoginAt === null || d.lastLoginAt instanceof Date);
  assert.match(d.id, /\S/);
  assert.match(d.credId, /^[A-Za-z0-9_-]+$/); // base64url, no padding
  assert.equal(typeof d.friendlyName, "string");
  assert.ok(Object.values(WebAuthnType).includes(d.type), d.type);
  assert.equal(typeof d.usageCount, "number");
  assert.deepEqual(Object.keys(d.icons), ["light", "dark"]);
  assert.match(d.aaguid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(typeof d.backupEligible, "boolean");
  assert.ok(Array.isArray(d.transports));
}

/** A local port nothing listens on. */
async function closedPort() {
  const srv = createServer();
  await new Promise((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

test("the constructor requires an app ID and an API key, as Passage's did", { skip }, () => {
  assert.throws(() => new PassageFlex({ apiKey: "k" }), { name: "Error", message: /App ID is required/ });
  assert.throws(() => new PassageFlex({ appId: "a" }), { name: "Error", message: /API key is required/ });
  assert.equal(new PassageFlex({ ...config, baseUrl: `${env.PASSBRIDGE_URL}/` }).baseUrl, `${env.PASSBRIDGE_URL}/`);
});

test("auth.createRegisterTransaction: two arguments (1.x), one object (0.2.x), flat (0.2.x)", { skip }, async () => {
  for (const id of [
    await passage.auth.createRegisterTransaction("compat-new", "new@example.com"),
    await passage.auth.createRegisterTransaction({ externalId: "compat-new", passkeyDisplayName: "new@example.com" }),
    await passage.createRegisterTransaction({ externalId: "compat-new", passkeyDisplayName: "new@example.com" }),
  ]) {
    assert.equal(typeof id, "string");
    assert.match(id, /\S/);
  }
  await assert.rejects(passage.auth.createRegisterTransaction("", "x"), { name: "Error", message: "externalId is required." });
  await assert.rejects(passage.auth.createRegisterTransaction("x"), { message: "passkeyDisplayName is required." });
});

test("auth.createAuthenticateTransaction: a transaction; an unknown user, a user without passkeys", { skip }, async () => {
  assert.match(await passage.auth.createAuthenticateTransaction(externalId), /\S/);
  assert.match(await passage.createAuthenticateTransaction({ externalId }), /\S/);
  await rejectsWith(passage.auth.createAuthenticateTransaction("compat-nobody"), 404, PassageErrorCode.UserNotFound);
  // compat-new exists (the register transactions made it) but has no passkey.
  await rejectsWith(passage.auth.createAuthenticateTransaction("compat-new"), 409, PassageErrorCode.UserHasNoPasskeys);
  await assert.rejects(passage.auth.createAuthenticateTransaction(""), { message: "externalId is required." });
});

let deviceId;

test("auth.verifyNonce resolves to the external ID, once", { skip }, async () => {
  assert.equal(await passage.auth.verifyNonce(env.COMPAT_REGISTER_NONCE), externalId);
  await rejectsWith(passage.auth.verifyNonce(env.COMPAT_REGISTER_NONCE), 401, PassageErrorCode.Nonce);
  await rejectsWith(passage.verifyNonce("not-a-nonce"), 401, PassageErrorCode.Nonce);
  await assert.rejects(passage.auth.verifyNonce(""), { message: "nonce is required." });
});

test("auth.verifyNonceDetails says what the ceremony was", { skip }, async () => {
  const v = await passage.auth.verifyNonceDetails(env.COMPAT_AUTHENTICATE_NONCE);
  assert.deepEqual(Object.keys(v), ["externalId", "kind", "deviceId", "userVerified", "backupEligible", "backedUp"]);
  assert.equal(v.externalId, externalId);
  assert.equal(v.kind, "authenticate");
  assert.equal(v.userVerified, true);
  assert.equal(typeof v.backupEligible, "boolean");
  assert.equal(typeof v.backedUp, "boolean");
  deviceId = v.deviceId;
  assert.match(deviceId, /\S/);
  await rejectsWith(passage.auth.verifyNonceDetails(env.COMPAT_AUTHENTICATE_NONCE), 401, PassageErrorCode.Nonce);
});

test("user.get: Passage's PassageUser; getUser (0.2.x) the same", { skip }, async () => {
  const u = await passage.user.get(externalId);
  assert.deepEqual(Object.keys(u), userKeys);
  assert.equal(u.externalId, externalId);
  assert.equal(u.status, UserStatus.Active);
  assert.ok(u.createdAt instanceof Date && u.updatedAt instanceof Date);
  assert.ok(u.lastLoginAt instanceof Date, "signed in once, so lastLoginAt is a date");
  assert.equal(u.loginCount, 1);
  assert.equal(u.userMetadata, null);
  assert.equal(u.webauthn, true);
  assert.equal(u.webauthnDevices.length, 2);
  u.webauthnDevices.forEach(assertDevice);
  assert.ok(u.webauthnTypes.length >= 1 && u.webauthnTypes.every((t) => Object.values(WebAuthnType).includes(t)));
  assert.deepEqual(await passage.getUser(externalId), u);
  await rejectsWith(passage.user.get("compat-nobody"), 404, PassageErrorCode.UserNotFound);
  await assert.rejects(passage.user.get(""), { message: "externalId is required." });
});

test("user.listDevices: Passage's WebAuthnDevices and passbridge's fields; getDevices (0.2.x) the same", { skip }, async () => {
  const devices = await passage.user.listDevices(externalId);
  assert.equal(devices.length, 2);
  devices.forEach(assertDevice);
  const used = devices.find((d) => d.id === deviceId);
  assert.ok(used, "the authenticated passkey is listed");
  assert.equal(used.usageCount, 1);
  assert.ok(used.lastLoginAt instanceof Date);
  const unused = devices.find((d) => d.id !== deviceId);
  assert.equal(unused.usageCount, 0);
  assert.equal(unused.lastLoginAt, null, "a passkey never used has no last sign-in");
  assert.deepEqual(await passage.getDevices(externalId), devices);
  await rejectsWith(passage.user.listDevices("compat-nobody"), 404, PassageErrorCode.UserNotFound);
});

test("user.renameDevice (passbridge only)", { skip }, async () => {
  const d = await passage.user.renameDevice(externalId, deviceId, "Work laptop");
  assertDevice(d);
  assert.equal(d.friendlyName, "Work laptop");
  const listed = (await passage.user.listDevices(externalId)).find((x) => x.id === deviceId);
  assert.equal(listed.friendlyName, "Work laptop");
  await rejectsWith(passage.user.renameDevice(externalId, deviceId, "x".repeat(101)), 400, PassageErrorCode.InvalidRequest);
  await rejectsWith(passage.user.renameDevice(externalId, "no-such-device", "x"), 404, PassageErrorCode.DeviceNotFound);
});

test("user.revokeDevice resolves to nothing (1.x), revokeDevice to true (0.2.x); the user stays", { skip }, async () => {
  await rejectsWith(passage.user.revokeDevice(externalId, "no-such-device"), 404, PassageErrorCode.DeviceNotFound);
  await rejectsWith(passage.user.revokeDevice("compat-nobody", deviceId), 404, PassageErrorCode.UserNotFound);
  await assert.rejects(passage.user.revokeDevice(externalId, ""), { message: "deviceId is required." });
  // Another user's device is not found under this one.
  await rejectsWith(passage.user.revokeDevice("compat-new", deviceId), 404, PassageErrorCode.DeviceNotFound);

  const [first, second] = await passage.user.listDevices(externalId);
  assert.equal(await passage.user.revokeDevice(externalId, first.id), undefined);
  assert.equal(await passage.revokeDevice({ externalId, deviceId: second.id }), true);
  assert.deepEqual(await passage.user.listDevices(externalId), []);
  const u = await passage.user.get(externalId);
  assert.equal(u.webauthn, false);
  assert.deepEqual(u.webauthnDevices, []);
  assert.deepEqual(u.webauthnTypes, []);
});

test("a bad API key, another app's key, an unknown app", { skip }, async () => {
  const wrong = new PassageFlex({ ...config, apiKey: "pbk_not-a-key" });
  await rejectsWith(wrong.auth.createAuthenticateTransaction(externalId), 401, PassageErrorCode.AccessToken);
  await rejectsWith(wrong.user.get(externalId), 401, PassageErrorCode.AccessToken);
  const other = new PassageFlex({ ...config, apiKey: env.COMPAT_OTHER_API_KEY });
  await rejectsWith(other.auth.verifyNonce("anything"), 401, PassageErrorCode.AccessToken);
  const unknown = new PassageFlex({ ...config, appId: "no-such-app" });
  await rejectsWith(unknown.user.listDevices(externalId), 404, PassageErrorCode.AppNotFound);
});

test("the base URL comes from PASSBRIDGE_URL when not given", { skip }, async () => {
  const fromEnv = new PassageFlex({ appId: config.appId, apiKey: config.apiKey });
  assert.equal(fromEnv.baseUrl, env.PASSBRIDGE_URL);
  assert.equal((await fromEnv.user.get(externalId)).externalId, externalId);
});

test("passbridge out of reach: fetch's own error, not a PassageError", { skip }, async () => {
  const down = new PassageFlex({ ...config, baseUrl: `http://127.0.0.1:${await closedPort()}` });
  await assert.rejects(down.user.get(externalId), (err) => {
    assert.ok(!(err instanceof PassageError));
    assert.equal(err.name, "TypeError");
    return true;
  });
});
