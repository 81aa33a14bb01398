/**
 * The live dashboard in a real headless Chromium: a relay on 127.0.0.1 in front of mock
 * upstreams, traffic flowing, the primary starts failing, and the page must show its
 * breaker opening without a reload. Screenshot: test/artifacts/dashboard.png.
 */
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { createRelay, type Relay } from 'switchyard';
import type { MockUpstream } from 'switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainConfig, closeServer, listen, postChat, startMocks } from '../helpers/harness.js';
import { ARTIFACTS, announceSkip, hasChromium, launchChromium } from './chromium.js';

announceSkip('dashboard');

// An operator-controlled model id that would be markup if the page used innerHTML.
const HOSTILE_MODEL = '<img id="pwned" src="x">';

describe.skipIf(!hasChromium)('the dashboard in headless Chromium', () => {
  let mocks: Record<string, MockUpstream>;
  let relay: Relay;
  let server: Server;
  let url: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let stopTraffic: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    mocks = await startMocks(['primary', 'backup']);
    const config = chainConfig(mocks, { breaker: { failureThreshold: 2, cooldownMs: 60_000 } });
    for (const target of config.models.chat!.targets) target.price = { input: 2, output: 8 }; // US$ per million tokens
    config.models.other = { targets: [{ provider: 'backup', model: HOSTILE_MODEL }] };
    relay = createRelay(config);
    let origin: string;
    ({ server, origin } = await listen(relay.nodeHandler({ prefix: '/v1', stats: true, health: true, dashboard: true })));
    url = `${origin}/v1`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 30_000);

  afterAll(async () => {
    await stopTraffic?.();
    await browser?.close();
    if (server) await closeServer(server);
    await relay?.close();
    await Promise.all(Object.values(mocks ?? {}).map((m) => m.close()));
  });

  /** Requests, every other one streamed, until the returned function is called. */
  function startTraffic(): () => Promise<void> {
    let running = true;
    let n = 0;
    const loop = (async () => {
      while (running) {
        await postChat(url, { stream: n++ % 2 === 1 }).catch(() => {});
        await sleep(40);
      }
    })();
    return async () => {
      running = false;
      await loop;
    };
  }

  const breaker = (target: string) => page.getByTestId(`breaker-${target}`);
  const field = (target: string, name: string) => page.locator(`[data-target="${target}"] [data-field="${name}"]`);
  const poll = { timeout: 10_000, interval: 100 };

  it('shows the primary’s breaker opening while traffic fails over to the backup', async () => {
    await page.goto(`${url}/dashboard`);
    await expect.poll(() => breaker('primary/primary-model').textContent(), poll).toBe('closed');
    expect(await page.getByTestId('connection').getAttribute('data-state')).toBe('live');

    stopTraffic = startTraffic();
    // Healthy traffic first: the primary serves and its card counts it.
    await expect.poll(async () => Number((await field('primary/primary-model', 'requests').textContent())!.split(' / ')[0]), poll).toBeGreaterThan(0);

    mocks.primary!.setFault({ status: 503 });
    await expect.poll(() => breaker('primary/primary-model').textContent(), poll).toBe('open');
    expect(await breaker('backup/backup-model').textContent()).toBe('closed');
    // The backup takes over: it serves, the primary counts failovers, the backup's chart has a p50 line.
    await expect.poll(async () => Number((await field('backup/backup-model', 'requests').textContent())!.split(' / ')[0]), poll).toBeGreaterThan(0);
    await expect.poll(async () => Number(await field('primary/primary-model', 'failovers').textContent()), poll).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-target="backup/backup-model"] svg.chart path.p50').count(), poll).toBe(1);
    expect(await field('backup/backup-model', 'cost').textContent()).toMatch(/^\$0\.0\d+$/);
    expect(await page.title()).toBe('1 open · switchyard dashboard');

    // Strings from the JSON are text, never markup.
    expect(await page.getByText(HOSTILE_MODEL, { exact: true }).count()).toBe(1);
    expect(await page.locator('#pwned').count()).toBe(0);
    expect(pageErrors).toEqual([]);

    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
  });

  it('says it is disconnected while ./stats fails, and recovers', async () => {
    const connection = page.getByTestId('connection');
    await page.route('**/v1/stats', (route) => route.abort());
    await expect.poll(() => connection.getAttribute('data-state'), poll).toBe('disconnected');
    expect(await connection.textContent()).toMatch(/^disconnected/);
    // The last numbers stay on the page, greyed out.
    expect(await breaker('primary/primary-model').textContent()).toBe('open');
    await page.unroute('**/v1/stats');
    await expect.poll(() => connection.getAttribute('data-state'), poll).toBe('live');
  });
});
