/**
 * One Jest run covers every workspace. Tests talk to the real servers that `scripts/infra.sh`
 * starts, so they run in band: two suites fighting over one Kafka topic or one Redis would
 * make failures depend on scheduling rather than on the code.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: [
    '<rootDir>/shared',
    '<rootDir>/internal-grpc',
    '<rootDir>/subgraphs',
    '<rootDir>/gateway',
    '<rootDir>/scripts',
    '<rootDir>/test',
  ],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60_000,
  maxWorkers: 1,
};
