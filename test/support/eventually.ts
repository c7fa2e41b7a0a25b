/**
 * Waits for a condition that another process or callback makes true "soon" (a delivery recorded after its response,
 * a file written by a child): polls every `everyMs` until `check` returns a value, or fails after `timeoutMs` with
 * `what`. A condition-based wait, never a fixed sleep.
 */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false,
  { timeoutMs = 10_000, everyMs = 20 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
