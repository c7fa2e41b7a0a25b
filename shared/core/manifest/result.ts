/** The outcome type of the per-entry rule, shared by the hostname and the address halves of it. */
import type { EgressType } from './types';

/** Outcome of normalizing one entry: the canonical entry, or a stable code with an actionable message. */
export type NormalizeResult =
  | { ok: true; entry: { value: string; type: EgressType } }
  | { ok: false; code: string; message: string; hint?: string };

/** A refused entry. */
export type Fail = Extract<NormalizeResult, { ok: false }>;

/** Builds a refusal (the hint only when given, so JSON output stays tidy). */
export const fail = (code: string, message: string, hint?: string): Fail =>
  hint === undefined ? { ok: false, code, message } : { ok: false, code, message, hint };
