// Integration tests (*.int-spec.ts): real PostgreSQL and real Kafka, provisioned by tools/trellis.sh.
const preset = require('./jest.preset.cjs');
module.exports = {
  ...preset,
  displayName: 'integration',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  testMatch: ['**/*.int-spec.ts'],
  testTimeout: 120000,
  maxWorkers: 2,
  // fhir-kit-client (gateway FHIR tests) and @platformatic/kafka (libs/events) ship ESM only: let SWC
  // make them CommonJS (Node 24 itself loads them with require(esm); Jest's module runtime does not)
  moduleNameMapper: { '^fhir-kit-client$': '<rootDir>/node_modules/fhir-kit-client/dist/index.js' },
  transformIgnorePatterns: ['/node_modules/(?!fhir-kit-client/|@platformatic/)'],
  // .trellis/infra.env (DATABASE_URL, KAFKA_*) into process.env; fail fast when infra is down.
  globalSetup: '<rootDir>/tools/jest/global-setup.cjs',
  setupFiles: [...(preset.setupFiles ?? []), '<rootDir>/tools/jest/load-infra-env.cjs'],
};
