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
  // The suite stops and restarts the real Kafka (the outage tests); a client caught reconnecting
  // across a restart has once kept a socket open after every test had passed, and Jest then
  // waits for ever. The results are written by then, so exiting is safe; a hung CI run is not.
  forceExit: true,
};
