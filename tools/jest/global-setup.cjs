/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS loaded by Jest */
// Jest globalSetup for the integration suite: loads .trellis/infra.env and fails fast, with the
// command to run, when PostgreSQL or Kafka is not reachable (instead of 120 s test time-outs).
const net = require('node:net');
const { loadInfraEnv, infraEnvPath } = require('./load-infra-env.cjs');

function reachable(host, port, timeoutMs = 3000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

module.exports = async function globalSetup() {
  loadInfraEnv();
  const missing = [
    'DATABASE_URL',
    'KAFKA_BROKERS',
    'KAFKA_SASL_USERNAME',
    'KAFKA_SASL_PASSWORD',
  ].filter((k) => !process.env[k]);
  if (missing.length > 0) {
    throw new Error(
      `Integration tests need ${missing.join(', ')} (from ${infraEnvPath}). Run: bash tools/trellis.sh setup`,
    );
  }
  const db = new URL(process.env.DATABASE_URL);
  const problems = [];
  if (!(await reachable(db.hostname, Number(db.port || 5432)))) {
    problems.push(`PostgreSQL at ${db.hostname}:${db.port || 5432} (bash tools/setup/postgres.sh)`);
  }
  const [kHost, kPort] = process.env.KAFKA_BROKERS.split(',')[0].split(':');
  if (!(await reachable(kHost, Number(kPort)))) {
    problems.push(`Kafka at ${kHost}:${kPort} (bash tools/setup/kafka.sh start)`);
  }
  if (problems.length > 0) {
    throw new Error(`Integration infrastructure is not running: ${problems.join('; ')}`);
  }
};
