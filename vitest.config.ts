import { configDefaults, defineConfig } from 'vitest/config';

// The process tests (test/process) run apps as child processes against real timers; they run after
// the rest, one file at a time, so the machine's load from other test files cannot stretch their bounds.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'core', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/process/**'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'process', include: ['test/process/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
