/**
 * Deterministic request ids. Compute `requestId` must be a UUID (not the zero UUID); a retried write with the same id
 * is recognised by the server and not applied twice, for at least 60 minutes, even when the first request already
 * completed. So an id must name exactly one intended effect. We derive it from (event id, read key, verb, rule,
 * priority): a retry of a write within the same attempt (same policy read) repeats the id, while applying the same
 * event again after the policy changed (a new read, e.g. a replay after the rules were wiped) gets new ids and takes
 * effect. See docs/applier.md, "Request ids".
 */
import { createHash } from 'node:crypto';
import { ruleContent } from './plan';
import type { ObservedRule } from './types';

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

/**
 * What identifies the policy state an attempt planned from, for the request ids: the policy fingerprint (Compute
 * changes it on every modification) when the read returned one; otherwise a digest of the project's owned rules
 * (priority, marker, content). The fallback changes whenever the project's rules change, but unlike the fingerprint it
 * repeats when they come back to an earlier state (wiped to nothing twice), so ports should return the fingerprint.
 */
export function readKey(fingerprint: string | undefined, owned: readonly ObservedRule[]): string {
  if (fingerprint) return `fingerprint:${fingerprint}`;
  const h = createHash('sha256');
  for (const r of [...owned].sort((a, b) => a.priority - b.priority))
    h.update(`${r.priority}\n${r.description}\n${ruleContent(r)}\n`);
  return `owned:${h.digest('hex').slice(0, 16)}`;
}
