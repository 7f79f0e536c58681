// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against the
// demo: native EventSource, automatic reconnect with Last-Event-ID, 204, CORS with
// credentials, and fetch-event-source's POST + Authorization through a preflight.
// Env: DEMO (http://127.0.0.1:P), NGINX (http://127.0.0.1:Q), ARTIFACTS (a folder).
// Prints one JSON line per case: {client, case, ok, saw}.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { run as runCase } from './cases.mjs';

const { DEMO, NGINX, ARTIFACTS } = process.env;
const profile = mkdtempSync(join(tmpdir(), 'sse-interop-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const client = `chromium ${context.browser()?.version() ?? (await context.newPage()).context().browser()?.version() ?? ''}`.trim();

const run = (name, fn) => runCase(client, name, fn);

const page = await context.newPage();

await run('demo page: native EventSource ticker and the streamed chat box', async () => {
  await page.goto(`${DEMO}/`);
  await page.waitForFunction(() => Number(document.getElementById('tick').textContent) >= 2, null, { timeout: 10000 });
  await page.fill('#prompt', 'from Chromium');
  await page.click('button');
  await page.waitForFunction(() => document.getElementById('reply').textContent.includes('language model answers.'), null, { timeout: 10000 });
  await page.screenshot({ path: join(ARTIFACTS, 'demo-page.png') });
  const tick = await page.textContent('#tick');
  const reply = await page.textContent('#reply');
  const ok = Number(tick) >= 2 && reply.startsWith('You said: from Chromium');
  return { ok, saw: `tick ${tick}; reply ${JSON.stringify(reply.slice(0, 32))}…; screenshot demo-page.png` };
});

await run('reconnects by itself and resumes with Last-Event-ID (no loss, no duplicate)', async () => {
  const result = await page.evaluate(() => new Promise((resolve) => {
    const ids = [];
    let opens = 0;
    const source = new EventSource('/events?interval_ms=30&close_after=4');
    source.onopen = () => { opens += 1; };
    source.addEventListener('tick', (event) => {
      ids.push(Number(event.lastEventId.split('-').pop()));
      if (ids.length === 12) { source.close(); resolve({ ids, opens }); }
    });
    setTimeout(() => { source.close(); resolve({ ids, opens }); }, 15000);
  }));
  // The ticker is shared (a hub): ids (`<epoch>-<n>`) start wherever it is, then must be
  // consecutive.
  const expected = Array.from({ length: 12 }, (_, i) => result.ids[0] + i);
  const ok = result.ids.length === 12 && JSON.stringify(result.ids) === JSON.stringify(expected) && result.opens >= 3;
  return { ok, saw: `ids ${result.ids.join(',')} over ${result.opens} connections` };
});

await run('a 204 stops reconnection', async () => {
  const result = await page.evaluate(() => new Promise((resolve) => {
    const ids = [];
    let opens = 0;
    const source = new EventSource('/events?interval_ms=30&close_after=3&stop_after=3');
    source.onopen = () => { opens += 1; };
    source.addEventListener('tick', (event) => ids.push(Number(event.lastEventId.split('-').pop())));
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        // Wait a little longer: a client that had not really stopped would reopen.
        setTimeout(() => resolve({ ids, opens, state: source.readyState }), 2500);
      }
    };
    setTimeout(() => resolve({ ids, opens, state: source.readyState }), 12000);
  }));
  const consecutive = result.ids.length === 3 && result.ids[1] === result.ids[0] + 1 && result.ids[2] === result.ids[0] + 2;
  const ok = consecutive && result.state === 2 && result.opens === 1;
  return { ok, saw: `ids ${result.ids.join(',')}, ${result.opens} open(s), readyState ${result.state} (2 = CLOSED)` };
});

await run('cross-origin EventSource with withCredentials: true', async () => {
  await page.goto(`${NGINX}/static/cors.html`);
  const result = await page.evaluate((demo) => new Promise((resolve) => {
    const data = [];
    const source = new EventSource(`${demo}/events?interval_ms=30`, { withCredentials: true });
    source.addEventListener('tick', (event) => {
      data.push(event.data);
      if (data.length === 3) { source.close(); resolve({ data, origin: location.origin }); }
    });
    source.onerror = () => { source.close(); resolve({ data, origin: location.origin, error: true }); };
    setTimeout(() => { source.close(); resolve({ data, origin: location.origin, timeout: true }); }, 8000);
  }), DEMO);
  return { ok: result.data.length === 3 && !result.error, saw: `from ${result.origin}: ${result.data.join(' ')}${result.error ? ' (blocked)' : ''}` };
});

await run('fetch-event-source: cross-origin POST /chat with Authorization (preflight)', async () => {
  const result = await page.evaluate(async (demo) => {
    const { fetchEventSource } = await import('/vendor/fetch-event-source/index.js');
    const tokens = [];
    let done = false;
    const controller = new AbortController();
    await Promise.race([
      fetchEventSource(`${demo}/chat`, {
        method: 'POST',
        headers: { Authorization: 'Bearer interop-token', 'Content-Type': 'application/json' },
        body: JSON.stringify({ prompt: 'preflight' }),
        signal: controller.signal,
        openWhenHidden: true,
        onmessage(message) {
          if (message.data === '[DONE]') { done = true; controller.abort(); return; }
          tokens.push(JSON.parse(message.data).token);
        },
        onerror(error) { throw error; },
      }).catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 10000)),
    ]);
    controller.abort();
    return { done, text: tokens.join('') };
  }, DEMO);
  const ok = result.done && result.text.startsWith('You said: preflight');
  return { ok, saw: `${JSON.stringify(result.text.slice(0, 40))}…, [DONE] ${result.done}` };
});

await context.close();
