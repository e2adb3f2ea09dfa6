/**
 * Polls `probe` until `done` accepts its result or `timeoutMs` passes, then returns the last
 * result (the caller's assertion reports the failure). For effects that are guaranteed but not
 * immediate, like an event feed held back by an older write transaction elsewhere on the server.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await probe();
  }
  return value;
}
