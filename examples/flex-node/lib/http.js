// What the site's handlers share: its error shape, JSON in and out, cookies,
// and the check that a call which changes something comes from the site's
// own page.

/** The most a JSON body of this site's API may hold. */
const maxBody = 4 << 10;

/**
 * An answer of this site's API that is not a success: an HTTP status and
 * `{code, error}`, the shape passbridge uses too, so the page handles both
 * alike.
 */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Refuses a call that needs a signed-in session. */
export const notSignedIn = () => new ApiError(401, "not_signed_in", "nobody is signed in");

export function sendJSON(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Reads a small JSON object body. Requiring the JSON media type also keeps
 * other sites' plain form posts out, should a browser not say where a
 * request comes from: a cross-site request cannot send it without a CORS
 * preflight, which this site never allows.
 */
export async function readJSON(req) {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    throw new ApiError(415, "invalid_request", "send a JSON body with Content-Type: application/json");
  }
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > maxBody) {
      throw new ApiError(413, "invalid_request", "the body is too large");
    }
    chunks.push(chunk);
  }
  let value;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ApiError(400, "invalid_request", "the body is not a JSON object of this call");
  }
  return value;
}

/** The request's cookies, by name. */
export function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) {
      const name = part.slice(0, i).trim();
      if (!(name in out)) {
        out[name] = part.slice(i + 1).trim();
      }
    }
  }
  return out;
}

/**
 * Adds a Set-Cookie header: HttpOnly (no script reads it), SameSite=Lax
 * (cross-site subrequests do not carry it), Secure over HTTPS.
 * maxAge -1 deletes the cookie.
 */
export function setCookie(req, res, name, value, { path = "/", maxAge }) {
  const parts = [`${name}=${value}`, `Path=${path}`, `Max-Age=${maxAge < 0 ? 0 : maxAge}`, "HttpOnly", "SameSite=Lax"];
  if (isHTTPS(req)) {
    parts.push("Secure");
  }
  const prev = res.getHeader("Set-Cookie") ?? [];
  res.setHeader("Set-Cookie", [...prev, parts.join("; ")]);
}

/**
 * Whether the browser reached the site over HTTPS: this process serves plain
 * HTTP, so behind a TLS-terminating proxy that says so. Trusting the header
 * is safe here: it only ever makes a cookie stricter.
 */
function isHTTPS(req) {
  return Boolean(req.socket.encrypted) || req.headers["x-forwarded-proto"] === "https";
}

/**
 * Reports whether a request that changes something may: it must come from
 * this site's own page. Browsers say where a request comes from
 * (Sec-Fetch-Site, else Origin); a request another site's page makes is
 * refused, so a signed-in person visiting that site cannot be made to
 * rename, remove or confirm anything. Requests with neither header do not
 * come from a browser's page (curl, a server). The same rules as Go's
 * http.CrossOriginProtection.
 */
export function sameOrigin(req) {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined) {
    return site === "same-origin" || site === "none";
  }
  const origin = req.headers.origin;
  if (origin === undefined) {
    return true;
  }
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
