/**
 * Deterministic request ids. Compute `requestId` must be a UUID (not the zero UUID); a retried write with the same id
 * is recognised by the server and not applied twice. We derive it from (event id, verb, rule, priority) so a retry or
 * a redelivery of the same event repeats the same id, while a different request body gets a different id.
 */
import { createHash } from 'node:crypto';

/** A version-5-shaped UUID from the SHA-256 of `parts` (stable across processes and runs). */
export function deterministicRequestId(...parts: (string | number)[]): string {
  const h = createHash('sha256')
    .update(JSON.stringify(parts.map(String)))
    .digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
