// The client harness's `--exec` contract: one JSON object per line on stdout.
export function report(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

// The event types the harness's scenarios use: an API that listens by type needs each.
export const TYPES = ['message', 'tick'];

// Keeps the process alive while a client waits to reconnect: eventsource's reconnect
// timer does not hold Node's event loop, and an app would have other work that does.
// The harness ends the process when the scenario is over.
setInterval(() => {}, 1 << 30);
