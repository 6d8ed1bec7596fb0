/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS loaded by Jest */
// Loads .trellis/infra.env (written by tools/setup/*.sh) into process.env. Used as a Jest
// setupFiles entry (runs in every test worker) and by global-setup.cjs. Variables already set in
// the environment win, so CI or a developer can point the tests elsewhere.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const infraEnvPath = path.join(
  process.env.TRELLIS_HOME || path.join(root, '.trellis'),
  'infra.env',
);

/** Parses KEY=value lines (blank lines and # comments ignored, optional `export ` and quotes). */
function parseInfraEnv(text) {
  const out = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    out[m[1]] = value;
  }
  return out;
}

/** Reads infra.env into process.env; returns the parsed map ({} when the file is absent). */
function loadInfraEnv(file = infraEnvPath) {
  if (!fs.existsSync(file)) return {};
  const vars = parseInfraEnv(fs.readFileSync(file, 'utf8'));
  for (const [k, v] of Object.entries(vars)) {
    if (process.env[k] === undefined) process.env[k] = v;
  }
  return vars;
}

loadInfraEnv();

module.exports = { loadInfraEnv, parseInfraEnv, infraEnvPath };
