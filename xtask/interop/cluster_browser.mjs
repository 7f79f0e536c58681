// Headless Chromium's native EventSource through the nginx balancer of `cargo xtask
// cluster`, while xtask SIGKILLs and restarts each demo instance in turn: every event
// published (through the balancer, on whichever instance) arrives exactly once, in order.
// Env: LB (http://127.0.0.1:P, the balancer). Prints one JSON case line at the end, and
// {"phase":"streaming"} once the stream is live, which is xtask's cue to start killing.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const { LB } = process.env;
const TOPIC = `interop-cluster-${Date.now()}`;
const PUBLISHES = 60;
const profile = mkdtempSync(join(tmpdir(), 'sse-interop-cluster-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const client = `chromium ${context.browser()?.version() ?? ''}`.trim();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function report(ok, saw) {
  console.log(JSON.stringify({ client, case: 'cluster: native EventSource through nginx, each instance SIGKILLed and restarted: every event once, in order', ok, saw }));
}

// Publishes through the balancer until it is accepted; returns the event's id.
async function publish(n) {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    try {
      const answer = await fetch(`${LB}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic: TOPIC, data: String(n) }),
      });
      if (answer.status === 202) return (await answer.json()).id;
    } catch { /* the instance died under the request: try again */ }
    await sleep(100);
  }
  throw new Error(`publish ${n} never accepted`);
}

try {
  const page = await context.newPage();
  await page.goto(`${LB}/`);
  await page.evaluate((topic) => {
    window.received = [];
    window.opens = 0;
    const source = new EventSource(`/subscribe?topic=${topic}`);
    source.onopen = () => { window.opens += 1; };
    source.onmessage = (event) => { window.received.push({ id: event.lastEventId, data: event.data }); };
  }, TOPIC);
  await page.waitForFunction(() => window.opens >= 1, null, { timeout: 10000 });
  const acked = [];
  acked.push(await publish(1));
  await page.waitForFunction(() => window.received.length >= 1, null, { timeout: 10000 });
  console.log(JSON.stringify({ phase: 'streaming' }));
  for (let n = 2; n <= PUBLISHES; n += 1) {
    acked.push(await publish(n));
    await sleep(150);
  }
  const last = acked[acked.length - 1];
  await page.waitForFunction((id) => window.received.some((event) => event.id === id), last, { timeout: 20000 }).catch(() => {});
  const { received, opens } = await page.evaluate(() => ({ received: window.received, opens: window.opens }));
  const seqs = received.map((event) => Number(event.id.split('-').pop()));
  const epochs = new Set(received.map((event) => event.id.split('-')[0]));
  const consecutive = seqs.every((seq, i) => i === 0 || seq === seqs[i - 1] + 1);
  const ids = new Set(received.map((event) => event.id));
  const missing = acked.filter((id) => !ids.has(id));
  const ok = consecutive && epochs.size === 1 && missing.length === 0 && ids.size === received.length && opens >= 2;
  report(ok, `${received.length} events over ${opens} connections, ids ${received[0]?.id}…${received.at(-1)?.id}` +
    `${consecutive ? ' consecutive' : ' NOT consecutive'}; ${acked.length} acknowledged publishes, ${missing.length} missing`);
} catch (error) {
  report(false, `error: ${error.message.split('\n')[0]}`);
} finally {
  await context.close();
}
