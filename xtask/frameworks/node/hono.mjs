// Hono 4 on @hono/node-server, as its streaming helper's docs show: `streamSSE` and
// `stream.writeSSE({ data, event, id })`. The docs show no resume and no keep-alive.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { serve } from '@hono/node-server';
import { PORT, TICK_MS, invalid } from './contract.mjs';

const app = new Hono();

app.get('/events', (c) =>
  streamSSE(c, async (stream) => {
    let id = 0;
    while (!stream.aborted) {
      id += 1;
      await stream.writeSSE({ data: `tick ${id}`, event: 'message', id: String(id) });
      await stream.sleep(TICK_MS);
    }
  }),
);

app.get('/idle', (c) =>
  streamSSE(c, async (stream) => {
    await stream.writeSSE({ data: 'ready' });
    while (!stream.aborted) await stream.sleep(1000);
  }),
);

app.post('/echo', async (c) => {
  const { events } = await c.req.json();
  if (invalid(events)) return c.text('invalid event', 400);
  // writeSSE always writes data (`data: undefined` without it) and has no comment: an id
  // or retry without data cannot be expressed (501); a comment or type alone changes
  // nothing a client sees, so it is left out.
  if (events.some((e) => e.data === undefined && (e.id !== undefined || e.retry !== undefined))) {
    return c.text('cannot express an id or retry without data', 501);
  }
  return streamSSE(c, async (stream) => {
    for (const e of events) {
      if (e.data !== undefined) {
        await stream.writeSSE({ data: e.data, event: e.event, id: e.id, retry: e.retry });
      }
    }
  });
});

serve({ fetch: app.fetch, port: PORT, hostname: '127.0.0.1' });
