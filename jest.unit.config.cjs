// Unit tests: fast and pure, beside the code (*.spec.ts). No database, no broker.
const preset = require('./jest.preset.cjs');
module.exports = {
  ...preset,
  displayName: 'unit',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools', '<rootDir>/charts'],
  testMatch: ['**/*.spec.ts'],
};
