/**
 * Every test file runs with unhandled promise rejections as failures of the test that
 * caused them: nothing the relay does may reach one, whatever a store, an upstream or a
 * client does. (Vitest also fails the whole run on them; this names the test.)
 */
import { afterEach, expect } from 'vitest';

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
});

afterEach(async () => {
  // Rejections surface a turn or two after the code that dropped them.
  await new Promise((resolve) => setImmediate(resolve));
  expect(unhandled.splice(0), 'unhandled promise rejections').toEqual([]);
});
