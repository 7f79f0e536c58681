// @microsoft/fetch-event-source 2 in Node, used the way its README shows:
// `fetchEventSource(url, { onopen, onmessage, onerror })` with the library's defaults
// (it retries unless onerror throws). It is written for browsers, so `window` and
// `document` are given, and `openWhenHidden` keeps it open in a process with no page.
// Run by the client harness as `node fetch-event-source.mjs URL`.
import { report } from './report.mjs';

globalThis.window = globalThis;
globalThis.document = { hidden: false, addEventListener() {}, removeEventListener() {} };
const { fetchEventSource } = await import('@microsoft/fetch-event-source');

try {
  await fetchEventSource(process.argv[2], {
    openWhenHidden: true,
    async onopen(response) {
      report({ kind: 'open' });
      // The README's check, verbatim in spirit: anything but an event stream is fatal.
      const type = response.headers.get('content-type') ?? '';
      if (!response.ok || !type.startsWith('text/event-stream')) {
        throw new Error(`${response.status} ${type}`);
      }
    },
    onmessage(event) {
      report({ kind: 'event', type: event.event || 'message', data: event.data, id: event.id });
    },
    onerror(error) {
      report({ kind: 'error', message: String(error?.message ?? error) });
      // Thrown by onopen: stop (the README's FatalError); otherwise retry (the default).
      if (String(error?.message ?? '').match(/^\d{3} /)) throw error;
    },
  });
} catch {
  // fetchEventSource rejects when onerror rethrows: the client gave up.
}
report({ kind: 'closed' });
