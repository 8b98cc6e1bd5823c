import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    // The full profile's longest case (throttled 20,000-finding run) needs more than 10 minutes.
    testTimeout: process.env.RELIABILITY_PROFILE === 'full' ? 1_800_000 : 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
