// Logs as JSON lines on standard output: one object per event, with its
// time, level and message. Nothing secret goes in (no API key, no tokens).

function write(level, msg, fields) {
  console.log(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
}

export const log = Object.freeze({
  info: (msg, fields = {}) => write("info", msg, fields),
  error: (msg, fields = {}) => write("error", msg, fields),
});
