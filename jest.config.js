// Jest in its ESM mode (the project is ESM), TypeScript compiled by @swc/jest;
// type checking is tsc's job (npm run typecheck).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022', keepClassNames: true }, module: { type: 'es6' } },
    ],
  },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // slonik (CommonJS) requires the ESM-only p-limit 6. Node 20 allows that
    // natively, but Jest's module loader cannot until Node 24.9, so tests give
    // slonik the same library's CommonJS release.
    '^p-limit$': 'p-limit-cjs',
  },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  testTimeout: 30_000,
  // Two cores: more workers than that only fight over the CPU with Postgres.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
