// The app's cookies: HttpOnly (no script reads them), SameSite=Lax (sent on
// the top-level navigation back from passbridge, not on other sites'
// subrequests or form posts), and, when the app is served over https,
// Secure with the __Host- prefix, so that no other host of the site can set
// them.

/** Cookie names, before the __Host- prefix. */
export const SESSION_COOKIE = "oidcnode_session";
export const FLOW_COOKIE = "oidcnode_flow";
export const LOGOUT_COOKIE = "oidcnode_logout";

export class Cookies {
  #secure;

  constructor(secure) {
    this.#secure = secure;
  }

  #name(base) {
    return this.#secure ? "__Host-" + base : base;
  }

  /** The value of cookie base in req, or "". */
  get(req, base) {
    const want = this.#name(base);
    for (const part of (req.headers.cookie ?? "").split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0 && part.slice(0, eq).trim() === want) {
        return part.slice(eq + 1).trim();
      }
    }
    return "";
  }

  /** Sets cookie base to value (URL-safe) for maxAge milliseconds. */
  set(res, base, value, maxAge) {
    this.#append(res, `${this.#name(base)}=${value}; Max-Age=${Math.floor(maxAge / 1000)}`);
  }

  clear(res, base) {
    this.#append(res, `${this.#name(base)}=; Max-Age=0`);
  }

  #append(res, cookie) {
    const attrs = `${cookie}; Path=/; HttpOnly; SameSite=Lax${this.#secure ? "; Secure" : ""}`;
    const prev = res.getHeader("Set-Cookie") ?? [];
    res.setHeader("Set-Cookie", [...(Array.isArray(prev) ? prev : [prev]), attrs]);
  }
}
