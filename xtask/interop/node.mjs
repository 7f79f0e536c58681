// Node clients against the demo: the `eventsource` package (a WHATWG-compliant
// EventSource) and @microsoft/fetch-event-source (POST + Authorization).
// Env: DEMO (http://127.0.0.1:P). Prints one JSON line per case: {client, case, ok, saw}.

import { readFileSync } from 'node:fs';
import { EventSource } from 'eventsource';
import { run } from './cases.mjs';

// fetch-event-source is written for browsers: it reaches for window and document.
globalThis.window = globalThis;
globalThis.document = { hidden: false, addEventListener() {}, removeEventListener() {} };
const { fetchEventSource } = await import('@microsoft/fetch-event-source');

const { DEMO } = process.env;
const version = (name) => JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url))).version;
const EVENTSOURCE = `eventsource ${version('eventsource')} (node ${process.versions.node})`;
const FETCH_EVENT_SOURCE = `@microsoft/fetch-event-source ${version('@microsoft/fetch-event-source')}`;


/// Collects events from an EventSource until `until(events)` or the timeout.
function collect(source, type, until, timeoutMs = 10000) {
  return new Promise((resolve) => {
    const events = [];
    let opens = 0;
    source.onopen = () => { opens += 1; };
    source.addEventListener(type, (event) => {
      events.push({ data: event.data, id: event.lastEventId });
      if (until(events)) { source.close(); resolve({ events, opens }); }
    });
    setTimeout(() => { source.close(); resolve({ events, opens, timeout: true }); }, timeoutMs);
  });
}

/// An EventSource whose requests are POSTs with a JSON body (eventsource's fetch option).
function postSource(url, body) {
  return new EventSource(url, {
    fetch: (input, init) => fetch(input, {
      ...init,
      method: 'POST',
      body: JSON.stringify(body),
      headers: { ...init.headers, 'content-type': 'application/json' },
    }),
  });
}

// Hostile data for the echo round trip: CRLF, lone CR, empty, leading space, colon, Unicode.
const ECHO = [
  { id: '1', event: 'x', data: 'a\r\nb\rc' },
  { data: '' },
  { data: ' leading space', comment: 'c\r\ndata: injected' },
  { data: 'é日本😀: colon' },
];
const ECHO_EXPECTED = ['a\nb\nc', '', ' leading space', 'é日本😀: colon'];

/** `count` ids `<epoch>-<n>`, each `n` one more than the last (the ticker is shared: any start). */
function consecutive(ids, count) {
  const numbers = ids.map((id) => Number(id.split('-').pop()));
  const epochs = new Set(ids.map((id) => id.split('-')[0]));
  return numbers.length === count && epochs.size === 1 && numbers.every((n, i) => Number.isInteger(n) && n === numbers[0] + i);
}

await run(EVENTSOURCE, 'GET /events: ids and data', async () => {
  const { events } = await collect(new EventSource(`${DEMO}/events?interval_ms=20`), 'tick', (e) => e.length === 5);
  const ids = events.map((e) => e.id).join(',');
  return { ok: consecutive(events.map((e) => e.id), 5), saw: `ids ${ids}, last data ${events.at(-1)?.data}` };
});

await run(EVENTSOURCE, 'reconnects and resumes with Last-Event-ID', async () => {
  const { events, opens } = await collect(new EventSource(`${DEMO}/events?interval_ms=20&close_after=3`), 'tick', (e) => e.length === 9, 15000);
  const ids = events.map((e) => e.id).join(',');
  return { ok: consecutive(events.map((e) => e.id), 9) && opens >= 3, saw: `ids ${ids} over ${opens} connections` };
});

await run(EVENTSOURCE, 'POST /chat: JSON tokens then [DONE]', async () => {
  const { events } = await collect(postSource(`${DEMO}/chat`, { prompt: 'node' }), 'message', (e) => e.at(-1)?.data === '[DONE]');
  const text = events.slice(0, -1).map((e) => JSON.parse(e.data).token).join('');
  return { ok: events.at(-1)?.data === '[DONE]' && text.startsWith('You said: node'), saw: `${JSON.stringify(text.slice(0, 30))}…, ${events.length} events` };
});

await run(EVENTSOURCE, 'POST /echo: hostile data round-trips', async () => {
  const { events } = await collect(postSource(`${DEMO}/echo`, { events: ECHO }), 'message', (e) => e.length === 3);
  const typed = await collect(postSource(`${DEMO}/echo`, { events: ECHO }), 'x', (e) => e.length === 1);
  const data = [typed.events[0]?.data, ...events.map((e) => e.data)];
  const ok = JSON.stringify(data) === JSON.stringify(ECHO_EXPECTED);
  return { ok, saw: JSON.stringify(data) };
});

/// fetch-event-source with an Authorization header: POST with a JSON body, or GET.
async function fetchEvents(path, body, stopWhen) {
  const controller = new AbortController();
  const messages = [];
  const timeout = setTimeout(() => controller.abort(), 10000);
  const request = body === undefined
    ? { method: 'GET', headers: { Authorization: 'Bearer interop-token' } }
    : { method: 'POST', headers: { Authorization: 'Bearer interop-token', 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  await fetchEventSource(`${DEMO}${path}`, {
    ...request,
    signal: controller.signal,
    openWhenHidden: true,
    onmessage(message) {
      messages.push(message);
      if (stopWhen(messages)) controller.abort();
    },
    onclose() { controller.abort(); },
    onerror(error) { throw error; },
  }).catch(() => {});
  clearTimeout(timeout);
  return messages;
}

await run(FETCH_EVENT_SOURCE, 'GET /events with Authorization: ids and data', async () => {
  const messages = await fetchEvents('/events?interval_ms=20', undefined, (m) => m.length === 5);
  const ids = messages.map((m) => m.id).join(',');
  return { ok: consecutive(messages.map((m) => m.id), 5) && messages.every((m) => m.event === 'tick'), saw: `ids ${ids}, last data ${messages.at(-1)?.data}` };
});

await run(FETCH_EVENT_SOURCE, 'POST /chat with Authorization', async () => {
  const messages = await fetchEvents('/chat', { prompt: 'fetch' }, (m) => m.at(-1)?.data === '[DONE]');
  const text = messages.slice(0, -1).map((m) => JSON.parse(m.data).token).join('');
  return { ok: messages.at(-1)?.data === '[DONE]' && text.startsWith('You said: fetch'), saw: `${JSON.stringify(text.slice(0, 30))}…, ${messages.length} events` };
});

await run(FETCH_EVENT_SOURCE, 'POST /echo: hostile data round-trips', async () => {
  const messages = await fetchEvents('/echo', { events: ECHO }, (m) => m.length === 4);
  const data = messages.map((m) => m.data);
  const ok = JSON.stringify(data) === JSON.stringify(ECHO_EXPECTED) && messages[0]?.event === 'x' && messages[0]?.id === '1';
  return { ok, saw: JSON.stringify(data) };
});
