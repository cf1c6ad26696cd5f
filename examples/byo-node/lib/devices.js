// The signed-in person's passkeys: listed and removed through passbridge's
// command form (FetchAllPasskeysForUser, DeregisterPasskey), always for the
// session's own user ID, so nobody reaches another account's passkeys.
import { ApiError } from "./http.js";

/**
 * GET /api/passkeys: the account's passkeys as passbridge holds them, those
 * the account accepted only.
 */
export async function listPasskeys(site, ctx) {
  const { userId, credentialId: current } = ctx.session;
  const acc = site.accounts.byUserId(userId);
  const live = (await site.pb.passkeys(userId)).filter((p) => acc?.credentials.includes(p.credentialId));
  return {
    passkeys: live.map((p) => ({
      credential_id: p.credentialId,
      name: p.displayName,
      type: p.type,
      synced: p.backedUp,
      created_at: new Date(p.createdAt * 1000).toISOString(),
      last_used_at: p.lastUsedAt ? new Date(p.lastUsedAt * 1000).toISOString() : null,
      usage_count: p.usageCount,
      this_session: p.credentialId === current,
      removable: live.length > 1,
    })),
  };
}

/**
 * DELETE /api/passkeys/{credential_id}: removes one of the account's
 * passkeys, never the last one (409 last_passkey): without a passkey
 * nobody could sign in to the account again, its owner included, and this
 * app has no other way in. The account forgets it before passbridge
 * removes it, under one check, so that two removals at once cannot both
 * pass; should passbridge fail, the account accepts it again.
 */
export async function removePasskey(site, ctx, credentialId) {
  const { userId } = ctx.session;
  const live = (await site.pb.passkeys(userId)).map((p) => p.credentialId);
  const outcome = live.includes(credentialId) ? site.accounts.forget(userId, credentialId, live) : "unknown";
  if (outcome === "unknown") {
    throw new ApiError(404, "passkey_not_found", "This passkey is not one of your account's. Reload the page.");
  }
  if (outcome === "last") {
    throw new ApiError(409, "last_passkey",
      "This is your only passkey: add another one before you remove it, or you could not sign in again.");
  }
  try {
    await site.pb.deregister(userId, credentialId);
  } catch (err) {
    site.accounts.accept(userId, credentialId);
    throw err;
  }
  site.log.info("passkey removed", { user_id: userId, credential_id: credentialId });
}
