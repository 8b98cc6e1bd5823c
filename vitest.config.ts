import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'emulator/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/reliability/**', 'node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The process-wide AWS rate limit (src/connectors/aws-inspector/rate-limit.ts) is off in
    // tests: they pull from a local emulator far faster than AWS answers, and a test of the
    // limit builds its own (test/integration/rate-limit.test.ts). Spawned CLIs inherit this.
    env: { INSPECTOR_CONNECTOR_AWS_RATE_PER_SECOND: '0' },
  },
});
