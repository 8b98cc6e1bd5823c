import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    // The full profile's longest case (throttled 20,000-finding run) needs more than 10 minutes.
    testTimeout: process.env.RELIABILITY_PROFILE === 'full' ? 1_800_000 : 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The process-wide AWS rate limit (src/connectors/aws-inspector/rate-limit.ts) is off in
    // tests: they pull from a local emulator far faster than AWS answers, and a test of the
    // limit builds its own (test/integration/rate-limit.test.ts). Spawned CLIs inherit this.
    env: { INSPECTOR_CONNECTOR_AWS_RATE_PER_SECOND: '0' },
    fileParallelism: false,
  },
});
