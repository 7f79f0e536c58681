// eventsource 5 (the WHATWG EventSource for Node), used the way its README shows:
// `new EventSource(url)` and a listener per event type. Run by the client harness as
// `node eventsource.mjs URL`.
import { EventSource } from 'eventsource';
import { report, TYPES } from './report.mjs';

const source = new EventSource(process.argv[2]);
source.onopen = () => report({ kind: 'open' });
source.onerror = (error) => {
  report({ kind: 'error', message: String(error?.message ?? error?.code ?? 'error') });
  if (source.readyState === EventSource.CLOSED) report({ kind: 'closed' });
};
for (const type of TYPES) {
  source.addEventListener(type, (event) =>
    report({ kind: 'event', type, data: event.data, id: event.lastEventId }),
  );
}
