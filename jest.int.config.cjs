// Integration tests (*.int-spec.ts): real PostgreSQL and real Kafka, provisioned by tools/trellis.sh.
const preset = require('./jest.preset.cjs');
module.exports = {
  ...preset,
  displayName: 'integration',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  testMatch: ['**/*.int-spec.ts'],
  testTimeout: 120000,
  maxWorkers: 2,
};
