// What every answer of the site shares: the API's error shape, JSON bodies,
// cookies, and the security headers.

/** Largest JSON body the API reads; a passkey response is a few KiB. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * A refusal of this site's API: an HTTP status and {"code", "error"}, the
 * shape passbridge answers in too. message says what happened and what to
 * do, for the page to show as it is.
 */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/**
 * The Content-Security-Policy of every answer: the page runs its own
 * scripts only (its module and @simplewebauthn/browser's, both served
 * from here), talks to this site only, and has no inline script or style.
 */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Sets the headers every answer carries. */
export function securityHeaders(res) {
  res.setHeader("Content-Security-Policy", CSP);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "same-origin");
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
}

/** Answers status with v as JSON; no body for 204. */
export function sendJSON(res, status, v) {
  res.statusCode = status;
  if (status === 204) {
    res.end();
    return;
  }
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.end(JSON.stringify(v));
}

/** Answers err, an ApiError, as {"code", "error"}. */
export function sendError(res, err) {
  sendJSON(res, err.status, { code: err.code, error: err.message });
}

/**
 * Refuses a request that changes something unless the site's own page made
 * it: the browser's Origin header must be the site's origin, and the body
 * JSON (a cross-site form cannot send that without a CORS preflight, which
 * this site never answers). A session cookie alone therefore never
 * registers, removes or signs out anything.
 */
export function checkSameOrigin(req, siteOrigin) {
  if (req.method === "GET" || req.method === "HEAD") {
    return;
  }
  if (req.headers.origin !== siteOrigin) {
    throw new ApiError(403, "cross_origin_request", "This call is accepted from this site's own page only.");
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    throw new ApiError(415, "invalid_request", "Send a JSON body with Content-Type: application/json.");
  }
}

/** Reads the request's JSON object body. */
export async function readJSON(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new ApiError(413, "request_too_large", "The request body is too large.");
    }
    chunks.push(chunk);
  }
  let v;
  try {
    v = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new ApiError(400, "invalid_request", "The body is not JSON.");
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ApiError(400, "invalid_request", "The body must be a JSON object.");
  }
  return v;
}

/** The value of the request's cookie name, or "". */
export function cookie(req, name) {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) {
      return part.slice(i + 1).trim();
    }
  }
  return "";
}

/**
 * Adds a Set-Cookie header: HttpOnly always (no script reads it),
 * SameSite (other sites' requests do not carry it, Lax unless said),
 * Secure when the site is served over https. maxAge 0 deletes it.
 */
export function setCookie(res, name, value, { path = "/", maxAgeSeconds, sameSite = "Lax", secure = false }) {
  const parts = [`${name}=${value}`, `Path=${path}`, "HttpOnly", `SameSite=${sameSite}`];
  if (maxAgeSeconds !== undefined) {
    parts.push(`Max-Age=${maxAgeSeconds}`);
  }
  if (secure) {
    parts.push("Secure");
  }
  const prev = res.getHeader("Set-Cookie") ?? [];
  res.setHeader("Set-Cookie", [...prev, parts.join("; ")]);
}
