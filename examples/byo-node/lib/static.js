// The files the site serves: its page and its own scripts and styles from
// public/, and @simplewebauthn/browser's ES modules straight from
// node_modules, as npm installed them (no bundler, no build step). Every
// file is read once at start; a request can only name one of them.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the page imports @simplewebauthn/browser from. */
export const SIMPLEWEBAUTHN_PATH = "/static/simplewebauthn/";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/**
 * Loads the site's files: / is public/index.html, /static/NAME a file of
 * public/, /static/simplewebauthn/… the package's esm/ directory (the
 * package's "import" entry, esm/index.js, and the modules it imports).
 * @returns {Map<string, {body: Buffer, type: string}>} URL path → file
 */
export function loadFiles(publicDir) {
  const files = new Map();
  for (const name of readdirSync(publicDir)) {
    const type = TYPES[extname(name)];
    if (!type) {
      continue;
    }
    const body = readFileSync(join(publicDir, name));
    files.set(name === "index.html" ? "/" : `/static/${name}`, { body, type });
  }
  const entry = fileURLToPath(import.meta.resolve("@simplewebauthn/browser"));
  const esmDir = dirname(entry);
  for (const path of walk(esmDir)) {
    if (extname(path) === ".js") {
      const url = SIMPLEWEBAUTHN_PATH + relative(esmDir, path).split(sep).join("/");
      files.set(url, { body: readFileSync(path), type: TYPES[".js"] });
    }
  }
  if (!files.has(`${SIMPLEWEBAUTHN_PATH}index.js`)) {
    throw new Error(`@simplewebauthn/browser: no index.js in ${esmDir}`);
  }
  return files;
}

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      yield* walk(path);
    } else if (e.isFile()) {
      yield path;
    }
  }
}

/** Answers a GET of a loaded file; false when path is none of them. */
export function serveFile(files, path, res) {
  const f = files.get(path);
  if (!f) {
    return false;
  }
  res.statusCode = 200;
  res.setHeader("Content-Type", f.type);
  // The page and its scripts change with the app: revalidate each time.
  res.setHeader("Cache-Control", "no-cache");
  res.end(f.body);
  return true;
}
