// The checker's HTML report in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): a self-contained page whose timeline marks what the checks judged.
// Env: BURST_REPORT and DEMO_REPORT (HTML files), CHECK_IDS (every check id, comma-
// separated), ARTIFACTS (a folder for the screenshots).
// Prints one JSON line per case: {client, case, ok, saw}.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { run as runCase } from './cases.mjs';

const { BURST_REPORT, DEMO_REPORT, CHECK_IDS, ARTIFACTS } = process.env;
const ids = CHECK_IDS.split(',').filter(Boolean);
const profile = mkdtempSync(join(tmpdir(), 'sse-report-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1100, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const client = `chromium ${context.browser()?.version() ?? ''} (HTML report)`.trim();
const page = await context.newPage();
// Self-contained means no request leaves the page: count any that tries.
let fetched = [];
page.on('request', (request) => { if (!request.url().startsWith('file:')) fetched.push(request.url()); });

const run = (name, fn) => runCase(client, name, fn);

// What every report must show: a row per check of the catalogue, in order, and the timeline.
async function common() {
  const rows = await page.$$eval('#checks tr.check', (trs) => trs.map((tr) => [tr.dataset.id, tr.dataset.status]));
  const missing = ids.filter((id) => !rows.some(([row]) => row === id));
  const lanes = await page.$$eval('#timeline g.lane', (gs) => gs.map((g) => g.dataset.label));
  return { rows, missing, lanes };
}

await run('report of a buffered burst: every check row, the burst marked on the timeline', async () => {
  fetched = [];
  await page.goto(pathToFileURL(BURST_REPORT).href);
  const { rows, missing, lanes } = await common();
  const bursts = await page.$$eval('#timeline rect.burst', (rects) => rects.map((r) => Number(r.dataset.events)));
  const buffering = rows.find(([id]) => id === 'buffering')?.[1];
  await page.screenshot({ path: join(ARTIFACTS, 'report-burst.png'), fullPage: true });
  const ok = missing.length === 0 && rows.length === ids.length && bursts.length === 1 && bursts[0] >= 5
    && buffering === 'fail' && lanes.length === 1 && fetched.length === 0;
  return { ok, saw: `${rows.length}/${ids.length} rows (missing ${missing.join(',') || 'none'}); bursts ${JSON.stringify(bursts)}; buffering ${buffering}; ${lanes.length} lane(s); ${fetched.length} fetches; screenshot report-burst.png` };
});

await run('report of the demo: every check row, one lane per probe, events and retry drawn, no burst', async () => {
  fetched = [];
  await page.goto(pathToFileURL(DEMO_REPORT).href);
  const { rows, missing, lanes } = await common();
  const failed = rows.filter(([, status]) => status === 'fail').map(([id]) => id);
  const events = await page.$$eval('#timeline g.lane.main circle.event', (c) => c.length);
  const retry = await page.$$eval('#timeline g.lane.main text.retry', (t) => t.map((x) => x.textContent));
  const bursts = await page.$$eval('#timeline rect.burst', (r) => r.length);
  const summary = await page.textContent('#summary');
  await page.screenshot({ path: join(ARTIFACTS, 'report-demo.png'), fullPage: true });
  const probeLanes = lanes.filter((label) => label !== 'the main request');
  const ok = missing.length === 0 && rows.length === ids.length && failed.length === 0 && events >= 5
    && retry.length === 1 && bursts === 0 && probeLanes.some((l) => l.startsWith('resume:'))
    && probeLanes.some((l) => l.startsWith('cors-preflight:')) && fetched.length === 0;
  return { ok, saw: `${rows.length}/${ids.length} rows, failed [${failed}]; ${lanes.length} lanes (${probeLanes.map((l) => l.split(':')[0]).join(', ')}); ${events} events, ${retry[0] ?? 'no retry'}, ${bursts} bursts; "${summary.trim()}"; screenshot report-demo.png` };
});

await context.close();
