// What every stack here serves, whatever the framework (see ../README.md): the ticker's
// pace, and the echo contract's rule for invalid events (glue around the framework's own
// encoder, which is what the echo route tests).
export const TICK_MS = 250;
export const PORT = Number(process.env.PORT ?? 3000);

/** True when the echo contract wants a 400: an id with CR, LF or NUL, a type with CR or LF. */
export function invalid(events) {
  return events.some(
    (e) => /[\r\n\0]/.test(e.id ?? '') || /[\r\n]/.test(e.event ?? ''),
  );
}
