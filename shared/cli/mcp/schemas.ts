/**
 * The MCP tools' input and output schemas (zod, as the SDK wants; it publishes them as JSON Schema). The outputs
 * describe the fields an assistant relies on and let the rest through: the JSON contracts themselves are the
 * commands' (docs/operations.md for explain, docs/diagnose.md for denials, the draft and the tools).
 */
import { z } from 'zod';

export const project = z.string().min(1).describe('the project key (metadata.name of its manifest)');
export const destination = z
  .string()
  .min(1)
  .describe('hostname, IP address, URL or host:port (ports and paths are stripped), e.g. api.stripe.com');
export const since = z.string().default('1h').describe('how far back: a duration in s, m, h or d (e.g. 30m, 1h, 2d)');
export const evidence = z
  .boolean()
  .optional()
  .describe('also attach the matching denied connections from the firewall logs (list_denied_connections)');
export const reason = z.string().min(1).describe('why the project needs the destination (the comment of the new line)');

const denialGroup = z.looseObject({
  destination: z.object({ ip: z.string(), port: z.number(), protocol: z.number() }),
  count: z.number(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  hostname: z.string().nullable(),
  rule: z.looseObject({ reference: z.string(), priority: z.number(), ruleName: z.string() }),
  class: z.enum([
    'INTERNAL',
    'SOURCE_NOT_COVERED',
    'DENIED_BEFORE_POLICY',
    'ALLOWED_BEFORE_POLICY',
    'ALLOWED_NOW',
    'DENIED_ELSEWHERE',
    'LISTED_DNS_MISMATCH',
    'LISTED_NOT_APPLIED',
    'NOT_LISTED',
  ]),
  detail: z.string(),
  fix: z.looseObject({ file: z.string(), line: z.string(), entry: z.string(), valid: z.boolean() }).optional(),
  mismatch: z.looseObject({ reason: z.string() }).optional(),
});

export const denialsOut = z.looseObject({
  schemaVersion: z.literal(1),
  project: z.string(),
  since: z.string(),
  destination: z.string().optional(),
  read: z.object({ firewall: z.number(), dns: z.number() }),
  groups: z.array(denialGroup),
});

export const explainOut = z.looseObject({
  schemaVersion: z.literal(1),
  project: z.string(),
  destination: z.looseObject({ input: z.string(), kind: z.enum(['hostname', 'ip', 'range']), value: z.string() }),
  allowed: z.boolean().nullable(),
  status: z.string(),
  summary: z.string(),
  manifest: z.looseObject({
    path: z.string().nullable(),
    found: z.boolean(),
    valid: z.boolean(),
    allowed: z.boolean(),
  }),
  firewall: z.looseObject({ consulted: z.boolean(), allowed: z.boolean().nullable() }),
  fix: z.looseObject({ file: z.string(), line: z.string(), entry: z.string() }).nullable(),
  cannotList: z.looseObject({ entry: z.string(), code: z.string(), reason: z.string() }).nullable(),
  notes: z.array(z.string()),
  evidence: denialsOut.optional(),
});

const entry = z.looseObject({ value: z.string(), type: z.enum(['hostname', 'wildcard', 'cidr']) });

export const projectEgressOut = z.looseObject({
  schemaVersion: z.literal(1),
  project: z.string(),
  manifest: z.looseObject({
    path: z.string(),
    found: z.boolean(),
    valid: z.boolean(),
    entries: z.array(entry),
    errors: z.array(z.string()),
  }),
  firewall: z.looseObject({
    consulted: z.boolean(),
    source: z.string().optional(),
    rules: z.array(
      z.looseObject({
        priority: z.number(),
        ruleName: z.string(),
        action: z.enum(['allow', 'deny']),
        disabled: z.boolean(),
        generation: z.string(),
        destinations: z.array(z.string()),
      }),
    ),
  }),
});

export const driftOut = z.looseObject({
  project: z.string().optional(),
  report: z.looseObject({
    clean: z.boolean(),
    checked: z.number(),
    drifted: z.array(
      z.looseObject({
        project: z.string(),
        findings: z.array(z.looseObject({ kind: z.string(), ruleName: z.string(), detail: z.string() })),
        repair: z.string(),
      }),
    ),
    errors: z.array(z.object({ project: z.string(), message: z.string() })),
    unchecked: z.array(z.string()),
  }),
  forecast: z.array(z.looseObject({ project: z.string(), reason: z.string(), expectedWrites: z.number() })),
  manual: z.array(z.string()),
});

export const draftOut = z.looseObject({
  schemaVersion: z.literal(1),
  project: z.string(),
  destination: z.string(),
  status: z.enum(['drafted', 'already-listed']),
  file: z.string(),
  entry: z.string().nullable(),
  line: z.string().nullable(),
  diff: z.string(),
  pullRequest: z.object({ title: z.string(), body: z.string(), branch: z.string() }).nullable(),
  explain: z.object({ status: z.string(), summary: z.string() }),
  notes: z.array(z.string()),
});
