/**
 * Debian's Chromium driven by playwright-core, for the browser tests. Never downloads a
 * browser: where `/usr/bin/chromium` is missing the suites skip and say how to run them.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests can run here. */
export const hasChromium = existsSync(CHROMIUM);

/** Where screenshots go (git-ignored). */
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** Call at the top of a browser suite: logs why it skips. */
export function announceSkip(suite: string): void {
  if (hasChromium) return;
  console.warn(
    `[${suite}] skipped: ${CHROMIUM} not found. Install Debian's Chromium (\`apt-get install chromium\`, as root) ` +
      'and run `npx vitest run test/browser`. CI (.ci/run) installs it.',
  );
}

/** Starts headless Chromium with no network features of its own (loopback only). */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    timeout: 15_000,
  });
}
