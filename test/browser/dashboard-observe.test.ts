/**
 * The dashboard's live request monitor, failover analytics, spend and alerts in a real
 * headless Chromium, at 1280×800 and on a phone-sized screen. Screenshots:
 * test/artifacts/dashboard-observe-desktop.png and dashboard-observe-phone.png.
 */
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { createRelay, type Relay } from 'switchyard';
import type { MockUpstream } from 'switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainConfig, closeServer, listen, postChat, startMocks } from '../helpers/harness.js';
import { ARTIFACTS, announceSkip, hasChromium, launchChromium } from './chromium.js';

announceSkip('dashboard-observe');

describe.skipIf(!hasChromium)('the dashboard’s request monitor, failover analytics, spend and alerts', () => {
  let mocks: Record<string, MockUpstream>;
  let relay: Relay;
  let server: Server;
  let url: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const poll = { timeout: 10_000, interval: 100 };

  beforeAll(async () => {
    mocks = await startMocks(['primary', 'backup']);
    const config = chainConfig(mocks, {
      retry: { attempts: 1 },
      breaker: { failureThreshold: 100 },
      callers: { key: (req) => req.headers['x-user'] as string | undefined },
      alerts: { rules: [{ name: 'primary-errors', metric: 'errorRate', above: 0.3, resolveBelow: 0.1, by: 'target', minRequests: 3 }], evaluateEveryMs: 100 },
    });
    for (const t of config.models.chat!.targets) t.price = { input: 2, output: 8 };
    config.models.solo = { targets: [{ provider: 'backup', model: 'solo-model', price: { input: 1, output: 1 } }] };
    relay = createRelay(config);
    let origin: string;
    ({ server, origin } = await listen(relay.nodeHandler({ prefix: '/v1', dashboard: true, health: true })));
    url = `${origin}/v1`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Some history before the page opens: healthy traffic from two callers.
    for (let i = 0; i < 4; i++) await postChat(url, { model: 'chat', stream: i % 2 === 1 }, { 'x-user': i % 2 ? 'alice' : 'bob' });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await closeServer(server);
    await relay?.close();
    await Promise.all(Object.values(mocks ?? {}).map((m) => m.close()));
  });

  const rows = () => page.locator('#requests-body tr');

  it('shows the last requests, then new ones live, filterable', async () => {
    await page.goto(`${url}/dashboard`);
    await expect.poll(() => rows().count(), poll).toBe(4);
    await expect.poll(() => page.getByTestId('feed').getAttribute('data-state'), poll).toBe('live');

    // The primary fails: requests fail over to the backup (position #2); one model fails outright.
    mocks.primary!.setFault({ status: 503 });
    for (let i = 0; i < 4; i++) await postChat(url, { model: 'chat' }, { 'x-user': 'alice' });
    mocks.backup!.setFault({ status: 500 });
    await postChat(url, { model: 'solo' }, { 'x-user': 'carol' });
    mocks.backup!.setFault(null);
    await expect.poll(() => rows().count(), poll).toBe(9);
    const newest = rows().first();
    expect(await newest.getAttribute('data-status')).toBe('error');
    expect(await newest.locator('td.caller').textContent()).toBe('carol');
    const failover = rows().nth(1);
    expect(await failover.locator('td.served').textContent()).toBe('#2backup/backup-model');
    expect(await failover.locator('.dot.bad').count()).toBe(1);
    expect(await failover.locator('.dot.ok').count()).toBe(1);

    await page.selectOption('#f-status', 'error');
    await expect.poll(() => rows().count(), poll).toBe(1);
    await page.selectOption('#f-status', '');
    await page.fill('#f-caller', 'alice');
    await expect.poll(() => rows().count(), poll).toBe(6);
    await page.selectOption('#f-model', 'chat');
    expect(await rows().count()).toBe(6);
    await page.fill('#f-caller', '');
    await page.selectOption('#f-model', '');
  });

  it('shows failover analytics by chain position, spend by model, target and caller, and the firing alert', async () => {
    const chain = page.locator('[data-chain="chat"]');
    // 8 chat requests: 4 by the primary (#1), 4 failed over to the backup (#2).
    await expect.poll(() => chain.locator('[data-position="1"] .share-value').textContent(), poll).toBe('50%');
    expect(await chain.locator('[data-position="0"] .share-value').textContent()).toBe('50%');
    expect(await chain.locator('svg.share-chart rect').count()).toBeGreaterThan(0);
    const solo = page.locator('[data-chain="solo"]');
    expect(await solo.locator('[data-position="failed"] .share-value').textContent()).toBe('100%');

    const callers = page.locator('[data-cost="byCaller"] .cost-row');
    expect(await callers.evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))).toEqual(['alice', 'bob']);
    expect(await page.locator('[data-cost="byTarget"] .cost-row').count()).toBe(2);
    expect(await page.locator('[data-cost="byModel"] [data-name="chat"] .cost-value').textContent()).toMatch(/^\$0\.0\d+$/);

    const alert = page.locator('[data-alert="primary-errors primary/primary-model"]');
    await expect.poll(() => alert.count(), poll).toBe(1);
    expect(await alert.textContent()).toMatch(/primary\/primary-model: errorRate \d+(\.\d)?% > 30%/);
    expect(await page.getByTestId('alerts').isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-observe-desktop.png` });
  });

  it('reads on a phone: one column, no sideways scrolling', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
    phone.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      await phone.goto(`${url}/dashboard`);
      await expect.poll(() => phone.locator('#requests-body tr').count(), poll).toBe(9);
      await expect.poll(() => phone.locator('[data-chain="chat"]').count(), poll).toBe(1);
      expect(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      // Secondary columns give way on a small screen.
      expect(await phone.locator('#requests-body tr').first().locator('td.caller').isVisible()).toBe(false);
      const [monitor, analytics] = await Promise.all([phone.getByTestId('monitor').boundingBox(), phone.getByTestId('failover').boundingBox()]);
      expect(analytics!.y).toBeGreaterThan(monitor!.y + monitor!.height - 1);
      await phone.screenshot({ path: `${ARTIFACTS}dashboard-observe-phone.png`, fullPage: true });
      expect(pageErrors).toEqual([]);
    } finally {
      await phone.close();
    }
  });
});
