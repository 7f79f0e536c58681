// Express 5 with the `compression` middleware app-wide, as its README's first example
// does, and an SSE route written the naive way (`res.write`, no `res.flush()`): the
// middleware's README warns about exactly this.
import express from 'express';
import compression from 'compression';
import { PORT, TICK_MS } from './contract.mjs';

const app = express();
app.use(compression());

function stream(req, res, first) {
  res.setHeader('Content-Type', 'text/event-stream');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('Connection', 'keep-alive');
  res.flushHeaders();
  return first;
}

app.get('/events', (req, res) => {
  let id = stream(req, res, 0);
  const timer = setInterval(() => {
    id += 1;
    res.write(`id: ${id}\ndata: tick ${id}\n\n`);
  }, TICK_MS);
  req.on('close', () => clearInterval(timer));
});

app.get('/idle', (req, res) => {
  stream(req, res);
  res.write('data: ready\n\n');
});

app.listen(PORT, '127.0.0.1');
