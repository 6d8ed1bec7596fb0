// Shared Jest settings: SWC transform with legacy decorators + metadata (NestJS DI needs it).
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', swc] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.trellis/'],
  // @platformatic/kafka (libs/events) ships ESM only: SWC makes it CommonJS for Jest's module
  // runtime (Node 24 itself loads it with require(esm)).
  transformIgnorePatterns: ['/node_modules/(?!@platformatic/)'],
};
