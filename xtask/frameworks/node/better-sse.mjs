// better-sse 0.16 on Express, as its README and guides show: `createSession`, then
// `session.push(data, event, id)`. Resume: `session.lastId` is the client's Last-Event-ID.
import express from 'express';
import { createSession } from 'better-sse';
import { PORT, TICK_MS, invalid } from './contract.mjs';

const app = express();
app.use(express.json({ limit: '1mb' }));

app.get('/events', async (req, res) => {
  const session = await createSession(req, res);
  let n = Number(session.lastId) || 0;
  const tick = () => {
    n += 1;
    session.push(`tick ${n}`, 'message', String(n));
  };
  tick();
  const timer = setInterval(tick, TICK_MS);
  session.on('disconnected', () => clearInterval(timer));
});

app.get('/idle', async (req, res) => {
  const session = await createSession(req, res);
  session.push('ready');
});

// The echo contract through better-sse's event buffer (`session.batch`): raw text, so
// the documented `serializer` option is set to pass strings through.
app.post('/echo', async (req, res) => {
  const events = req.body.events;
  if (invalid(events)) return res.status(400).send('invalid event');
  const session = await createSession(req, res, { serializer: String, keepAlive: null, retry: null });
  await session.batch((buffer) => {
    for (const e of events) {
      if (e.comment !== undefined) buffer.comment(e.comment);
      if (e.retry !== undefined) buffer.retry(e.retry);
      if (e.id !== undefined) buffer.id(e.id);
      if (e.event !== undefined) buffer.event(e.event);
      if (e.data !== undefined) buffer.data(e.data);
      buffer.dispatch();
    }
  });
  res.end();
});

app.listen(PORT, '127.0.0.1');
