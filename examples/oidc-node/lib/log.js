// A small structured logger: one JSON object a line, on stderr. Callers
// pass only what may be logged: never a secret, code, state, token or
// session ID.

/** A logger writing to stream (process.stderr). */
export function newLogger(stream = process.stderr) {
  const write = (level, msg, attrs = {}) => {
    stream.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...attrs }) + "\n");
  };
  return {
    info: (msg, attrs) => write("INFO", msg, attrs),
    warn: (msg, attrs) => write("WARN", msg, attrs),
    error: (msg, attrs) => write("ERROR", msg, attrs),
  };
}
