// The app's two pages, as HTML built from escaped values. They have no
// script; the style sheet is a file (/static/app.css), so the
// Content-Security-Policy allows neither inline script nor inline style.

/** Escapes text for HTML content and double-quoted attributes. */
export function escape(value) {
  return String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * A tagged template that escapes every interpolated value, except those
 * already marked safe by html itself.
 */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => {
    out += toHTML(v) + strings[i + 1];
  });
  return new SafeHTML(out);
}

class SafeHTML {
  constructor(text) {
    this.text = text;
  }

  toString() {
    return this.text;
  }
}

function toHTML(v) {
  if (v instanceof SafeHTML) {
    return v.text;
  }
  if (Array.isArray(v)) {
    return v.map(toHTML).join("");
  }
  if (v === undefined || v === null || v === false) {
    return "";
  }
  return escape(v);
}

/** A time in seconds since the epoch, as 2006-01-02T15:04:05Z. */
export function rfc3339(seconds) {
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");
}

/** A time in seconds since the epoch, as 2006-01-02 15:04:05 UTC. */
export function when(seconds) {
  return rfc3339(seconds).replace("T", " ").replace("Z", " UTC");
}

function timeTag(seconds) {
  return html`<time datetime="${rfc3339(seconds)}">${when(seconds)}</time>`;
}

function layout(title, body) {
  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title}</title>
  <link rel="stylesheet" href="/static/app.css">
</head>
<body>
  <main>
${body}
  </main>
</body>
</html>
`.text;
}

/**
 * GET /: signed in, the ID token's claims and the step-up and sign-out
 * buttons; signed out, the sign-in and sign-up buttons.
 */
export function indexPage({ session, signedOut }) {
  if (!session) {
    return layout(
      "Example app: sign in with passbridge",
      html`    <h1>Example app</h1>
${signedOut && html`    <p class="notice" id="signed-out">You are signed out, of this app and of passbridge.</p>\n`}    <p>This app signs you in with passbridge, with a passkey.</p>
    <div class="actions">
      <form method="get" action="/login">
        <button type="submit" id="sign-in">Sign in with a passkey</button>
      </form>
      <form method="get" action="/login">
        <input type="hidden" name="signup" value="1">
        <button type="submit" id="sign-up">New here? Create a passkey</button>
      </form>
    </div>`,
    );
  }
  const c = session.claims;
  const stepUp = session.stepUp;
  return layout(
    "Example app: sign in with passbridge",
    html`    <h1>Example app</h1>
    <p id="who">Signed in as <strong>${c.name || c.sub}</strong>.</p>
${
  stepUp &&
  html`    <p class="notice" id="step-up">Confirmed with a passkey at
      ${timeTag(stepUp.to)}: auth_time moved from
      ${timeTag(stepUp.from)}.</p>\n`
}    <h2>Your ID token</h2>
    <dl id="claims">
      <dt>sub</dt><dd data-claim="sub">${c.sub}</dd>
      <dt>name</dt><dd data-claim="name">${c.name}</dd>
      <dt>acr</dt><dd data-claim="acr">${c.acr}</dd>
      <dt>amr</dt><dd data-claim="amr">${(c.amr ?? []).join(" ")}</dd>
      <dt>auth_time</dt><dd data-claim="auth_time">${timeTag(c.auth_time)}</dd>
      <dt>sid</dt><dd data-claim="sid">${c.sid}</dd>
    </dl>
    <div class="actions">
      <form method="get" action="/login">
        <input type="hidden" name="step_up" value="1">
        <button type="submit" id="confirm">Confirm with passkey</button>
      </form>
      <form method="post" action="/logout">
        <input type="hidden" name="csrf" value="${session.csrf}">
        <button type="submit" id="sign-out">Sign out</button>
      </form>
    </div>`,
  );
}

/**
 * A refusal or failure: a title, what happened and what to do, passbridge's
 * error_description when the error is its, and a stable code.
 */
export function errorPage(e) {
  return layout(
    `${e.title}: example app`,
    html`    <h1>${e.title}</h1>
    <p id="error" data-code="${e.code}">${e.message}</p>
${e.detail && html`    <p class="detail">passbridge said: ${e.detail}</p>\n`}    <p class="code">Error code: <code>${e.code}</code></p>
    <p><a href="/" id="back">Back to the app</a></p>`,
  );
}
