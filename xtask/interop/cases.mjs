// What every client script prints: one JSON line per case, {client, case, ok, saw}, which
// `cargo xtask interop` reads. A case that throws is reported failed, with the error.

export function report(client, name, ok, saw) {
  console.log(JSON.stringify({ client, case: name, ok, saw }));
}

export async function run(client, name, fn) {
  try {
    const { ok, saw } = await fn();
    report(client, name, ok, saw);
  } catch (error) {
    report(client, name, false, `error: ${String(error?.message ?? error).split('\n')[0]}`);
  }
}
