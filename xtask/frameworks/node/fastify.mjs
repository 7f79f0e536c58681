// Fastify 5 with @fastify/sse 0.6, as its README shows: the Quick Start's route, the
// "Connection Management" greeting (`data: Connected`, then periodic sends), and the
// "Message Replay" pattern for Last-Event-ID. Heartbeat: the plugin's default (30 s).
import Fastify from 'fastify';
import sse from '@fastify/sse';
import { PORT, TICK_MS, invalid } from './contract.mjs';

const fastify = Fastify();
await fastify.register(sse);

fastify.get('/events', { sse: true }, async (request, reply) => {
  reply.sse.keepAlive();
  await reply.sse.send({ data: 'Connected' });
  let n = Number(reply.sse.lastEventId) || 0;
  const interval = setInterval(async () => {
    if (reply.sse.isConnected) {
      n += 1;
      await reply.sse.send({ id: String(n), data: `tick ${n}` });
    } else {
      clearInterval(interval);
    }
  }, TICK_MS);
  reply.sse.onClose(() => clearInterval(interval));
});

fastify.get('/idle', { sse: true }, async (request, reply) => {
  reply.sse.keepAlive();
  await reply.sse.send({ data: 'ready' });
});

// The plugin serialises `data` with JSON.stringify unless given a serializer: the
// documented `serializer` route option passes strings through.
fastify.post('/echo', { sse: { kind: 'manual', heartbeat: false, serializer: String } }, async (request, reply) => {
  const { events } = request.body;
  if (invalid(events)) return reply.code(400).send('invalid event');
  // `send` rejects a message without data ("Invalid SSE source type"): an id or retry
  // without data cannot be expressed (501); a type or comment alone changes nothing a
  // client sees, so it is left out.
  if (events.some((e) => e.data === undefined && (e.id !== undefined || e.retry !== undefined))) {
    return reply.code(501).send('cannot express an id or retry without data');
  }
  // Headers first (documented: otherwise on the first write), so a script that writes
  // nothing is still an empty stream.
  reply.sse.sendHeaders();
  for (const e of events) {
    const message = {};
    for (const key of ['id', 'event', 'data', 'retry']) if (e[key] !== undefined) message[key] = e[key];
    if (e.data !== undefined) await reply.sse.send(message);
  }
  reply.sse.close();
});

await fastify.listen({ port: PORT, host: '127.0.0.1' });
