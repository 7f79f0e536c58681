// Plain node:http, the way MDN's "Using server-sent events" and most tutorials write it:
// headers, then `res.write` of hand-formatted events on a timer, ids from a counter.
import http from 'node:http';
import { PORT, TICK_MS, invalid } from './contract.mjs';

const headers = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
};

http
  .createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/events') {
      res.writeHead(200, headers);
      let id = 0;
      const tick = () => {
        id += 1;
        res.write(`id: ${id}\ndata: tick ${id}\n\n`);
      };
      tick();
      const timer = setInterval(tick, TICK_MS);
      req.on('close', () => clearInterval(timer));
    } else if (req.method === 'GET' && req.url === '/idle') {
      res.writeHead(200, headers);
      res.write('data: ready\n\n');
    } else if (req.method === 'POST' && req.url === '/echo') {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const { events } = JSON.parse(body);
        if (invalid(events)) {
          res.writeHead(400).end('invalid event');
          return;
        }
        res.writeHead(200, headers);
        for (const e of events) {
          let text = '';
          if (e.comment !== undefined) text += `: ${e.comment}\n`;
          if (e.id !== undefined) text += `id: ${e.id}\n`;
          if (e.event !== undefined) text += `event: ${e.event}\n`;
          if (e.retry !== undefined) text += `retry: ${e.retry}\n`;
          if (e.data !== undefined) text += `data: ${e.data.split('\n').join('\ndata: ')}\n`;
          res.write(`${text}\n`);
        }
        res.end();
      });
    } else {
      res.writeHead(404).end();
    }
  })
  .listen(PORT, '127.0.0.1');
