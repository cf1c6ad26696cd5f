// The signed-in person's passkeys: the table the page shows, rename, remove.

import { LastPasskeyError } from "./accounts.js";
import { ApiError, notSignedIn, readJSON, sendJSON } from "./http.js";
import { PassageError } from "./passbridge-flex.js";

/** The longest passkey name, in characters; passbridge refuses longer ones too. */
const maxDeviceName = 100;

const deviceNotFound = () => new ApiError(404, "device_not_found", "you have no passkey with this ID");

/**
 * name's passkeys, as passbridge lists them (through the Passage-shaped
 * module), as the page shows them. removable is false for the account's
 * last passkey that signs in, which revokeDevice refuses to remove.
 */
export function meDevices(site, name, devices) {
  const signIn = site.accounts.signInPasskeys(name, devices.map((d) => d.id));
  return devices.map((d) => ({
    id: d.id,
    name: d.friendlyName,
    type: d.type, // "passkey" (synced) | "platform" | "security_key"
    // The authenticator's icons for light and dark backgrounds, SVG data:
    // URIs from passbridge's authenticator list; null when it has none.
    icon_light: d.icons.light,
    icon_dark: d.icons.dark,
    created_at: d.createdAt.toISOString(),
    last_login_at: d.lastLoginAt?.toISOString() ?? null,
    usage_count: d.usageCount,
    removable: !signIn.includes(d.id) || signIn.length > 1,
  }));
}

/**
 * Checks a passkey name a person typed: 1 to 100 characters once trimmed,
 * none of them control or bidirectional-override characters, which could
 * make a name display as another.
 */
function deviceName(raw) {
  const name = typeof raw === "string" ? raw.trim() : "";
  if (name === "" || [...name].length > maxDeviceName || /[\p{Cc}\p{Bidi_Control}]/u.test(name) || !name.isWellFormed()) {
    throw new ApiError(400, "invalid_name", "enter a name of 1 to 100 characters");
  }
  return name;
}

/**
 * PATCH /api/devices/{id} {name}: renames one of the signed-in user's
 * passkeys. The call names the user the session signed in, so passbridge
 * itself refuses a device of anyone else (404 device_not_found).
 */
export async function renameDevice(site, req, res, id) {
  const body = await readJSON(req);
  const username = site.sessions.user(req);
  if (username === null) {
    throw notSignedIn();
  }
  const name = deviceName(body.name);
  let device;
  try {
    device = await site.passage.user.renameDevice(username, id, name);
  } catch (err) {
    throw err instanceof PassageError && err.statusCode === 404 ? deviceNotFound() : err;
  }
  sendJSON(res, 200, { id: device.id, name: device.friendlyName });
}

/**
 * DELETE /api/devices/{id}: removes one of the signed-in user's passkeys.
 * The site forgets it first, then passbridge deletes it. The account's last
 * passkey that signs in is not removed (409 last_passkey): without one,
 * nobody could sign in to the account again, its owner included, and this
 * example has no other way in (no e-mail link, no recovery codes). A person
 * who is replacing a passkey adds the new one first.
 */
export async function revokeDevice(site, req, res, id) {
  const username = site.sessions.user(req);
  if (username === null) {
    throw notSignedIn();
  }
  let live;
  try {
    live = (await site.passage.user.listDevices(username)).map((d) => d.id);
  } catch (err) {
    throw err instanceof PassageError && err.statusCode === 404 ? deviceNotFound() : err;
  }
  if (!live.includes(id)) {
    throw deviceNotFound();
  }
  let wasAccepted;
  try {
    wasAccepted = site.accounts.forget(username, id, live);
  } catch (err) {
    if (err instanceof LastPasskeyError) {
      throw new ApiError(409, "last_passkey",
        "this is your only passkey: add another one before you remove it, or you could not sign in again");
    }
    throw err;
  }
  try {
    await site.passage.user.revokeDevice(username, id);
  } catch (err) {
    if (!(err instanceof PassageError && err.statusCode === 404)) {
      // passbridge still holds it: it signs in again, as before.
      if (wasAccepted) {
        site.accounts.accept(username, id);
      }
      throw err;
    }
  }
  site.log.info("passkey removed", { user: username, device: id });
  res.writeHead(204).end();
}
