/**
 * The Express example's chat page in a real headless Chromium: the example runs offline
 * (mock upstreams), its primary is made to fail, and an answer must stream in from the
 * backup with the provider, latency, cost and a failover note shown under it.
 * Screenshot: test/artifacts/chat.png.
 */
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createExampleApp, type ExampleApp } from '../../examples/express/server.js';
import { closeServer, listen } from '../helpers/harness.js';
import { ARTIFACTS, announceSkip, hasChromium, launchChromium } from './chromium.js';

announceSkip('chat');

const BACKUP_REPLY = 'Hello from backup! This is a streamed reply from a mock upstream.';
const REPLY = /^Hello from (primary|backup)! This is a streamed reply from a mock upstream\.$/;
const poll = { timeout: 10_000, interval: 50 };

/** The browser globals the in-page snippets use (the project compiles without the DOM lib). */
interface InPage {
  seen: string[];
  document: { querySelector(selector: string): { textContent: string | null } | null; getElementById(id: string): object };
  MutationObserver: new (callback: () => void) => { observe(target: object, options: object): void };
  localStorage: { getItem(key: string): string | null };
}

interface Running {
  example: ExampleApp;
  server: Server;
  origin: string;
}

describe.skipIf(!hasChromium)('the Express example’s chat page in headless Chromium', () => {
  let browser: Browser;
  const running: Running[] = [];

  /** The example, offline (no provider keys in `env`), on 127.0.0.1. */
  async function start(env: NodeJS.ProcessEnv = {}): Promise<Running> {
    const example = await createExampleApp(env);
    const { server, origin } = await listen(example.app);
    const r = { example, server, origin };
    running.push(r);
    return r;
  }

  /** A new tab on `url`, and the script errors it throws. */
  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    page.setDefaultTimeout(10_000);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(url);
    return { page, errors };
  }

  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {}); // the example logs each request
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    for (const r of running) {
      await closeServer(r.server);
      await r.example.close();
    }
    vi.restoreAllMocks();
  });

  it('streams an answer from the backup while the primary fails, and says so', async () => {
    const { example, origin } = await start();
    const [primary, backup] = example.mocks;
    primary!.setFault({ status: 503 });
    const { page, errors } = await open(`${origin}/`);
    await expect.poll(() => page.getByTestId('model').inputValue(), poll).toBe('gpt-4.1');

    // Record every text the answer shows, to see it arrive in pieces.
    await page.evaluate(() => {
      const w = globalThis as unknown as InPage;
      const seen: string[] = (w.seen = []);
      new w.MutationObserver(() => {
        const text = w.document.querySelector('[data-testid="answer-text"]')?.textContent;
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(w.document.getElementById('log'), { subtree: true, childList: true, characterData: true });
    });
    await page.getByTestId('message-input').fill('Hello');
    await page.getByTestId('message-input').press('Enter');

    const answer = page.getByTestId('answer').last();
    await expect.poll(() => answer.getAttribute('data-state'), poll).toBe('done');
    expect(await answer.getByTestId('answer-text').textContent()).toBe(BACKUP_REPLY);
    expect(await answer.getByTestId('provider').textContent()).toBe('backup (deepseek-v3.2)');
    const note = answer.getByTestId('failover-note');
    expect(await note.isVisible()).toBe(true);
    expect(await note.textContent()).toMatch(/^Failover: 3 upstream attempts; skipped or failed: primary\/gpt-4\.1; answered by backup$/);
    expect(await answer.getByTestId('latency').textContent()).toMatch(/^first token \d+ ms · total \d+ ms$/);
    // deepseek-v3.2 has a default price, so the usage chunk the page asks for carried the cost.
    expect(await answer.getByTestId('cost').textContent()).toMatch(/^\$0\.0\d+$/);

    const seen = await page.evaluate(() => (globalThis as unknown as InPage).seen);
    expect(seen.length).toBeGreaterThan(3); // tokens arrived one chunk at a time
    expect(seen.every((text) => BACKUP_REPLY.startsWith(text))).toBe(true);
    expect(backup!.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(errors).toEqual([]);

    await page.screenshot({ path: `${ARTIFACTS}chat.png` });
  });

  it('sends the client key typed into the page when the host asks for one', async () => {
    const { origin } = await start({ SWITCHYARD_CLIENT_KEY: 'browser-test-key' });
    const { page } = await open(`${origin}/`);
    await expect.poll(() => page.getByTestId('status').textContent(), poll).toMatch(/HTTP 401: Invalid API key\..*client key/);

    await page.getByTestId('client-key').fill('browser-test-key');
    await page.getByTestId('client-key').press('Tab'); // 'change' fires on blur
    await expect.poll(() => page.getByTestId('model').inputValue(), poll).toBe('gpt-4.1');
    expect(await page.evaluate(() => (globalThis as unknown as InPage).localStorage.getItem('switchyard.clientKey'))).toBe('browser-test-key');

    await page.getByTestId('message-input').fill('Hello');
    await page.getByTestId('send').click();
    const answer = page.getByTestId('answer').last();
    await expect.poll(() => answer.getAttribute('data-state'), poll).toBe('done');
    expect(await answer.getByTestId('answer-text').textContent()).toMatch(REPLY);
  });

  it('mounts the relay’s dashboard under /v1', async () => {
    const { origin } = await start();
    const { page } = await open(`${origin}/v1/dashboard`);
    await expect.poll(() => page.getByTestId('breaker-backup/deepseek-v3.2').textContent(), poll).toBe('closed');
    expect(await page.getByTestId('connection').getAttribute('data-state')).toBe('live');
  });
});
