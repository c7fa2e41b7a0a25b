/**
 * The target modes of the platform policy (docs/policy.md, "Target modes"): reading `firewall.target` from the file
 * and the one definition of what each template means (which subnets are a project's, which accounts and tag values).
 * Pure.
 */
import type { TargetMapping } from './types';

/** `firewall.target` as the file may write it (the schema checked types; this checks the combination). */
export interface TargetInput {
  mode?: string;
  subnets?: string;
  network?: string;
  templates?: string[];
  org?: string;
  template?: string;
}

/** One problem of `firewall.target`: the key it is about (`subnets`, `templates[1]`…), the message, a hint. */
export interface TargetProblem {
  key: string;
  message: string;
  hint?: string;
}

const SA_RE = /^[^@\s]+@[^@\s]+\.gserviceaccount\.com$/;
/** `{parent}/{key}/{value}`: the namespaced name `tagValues.getNamespaced` takes (parent: org id or project id). */
const NAMESPACED_RE = /^[^/\s]+\/[^/\s]+\/[^/\s]+$/;

const FIELDS: Record<TargetMapping['mode'], (keyof TargetInput)[]> = {
  subnets: ['subnets', 'network'],
  serviceAccounts: ['templates'],
  secureTags: ['templates', 'org'],
};

/** True when the subnet template is a regular expression (`/…/`) rather than a glob. */
function isRegex(t: string): boolean {
  return t.length > 2 && t.startsWith('/') && t.endsWith('/');
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The subnet names of `project` under the template: a glob (`*` any run of characters, `?` one) or a `/regex/`
 * (anchored by the platform, `{project}` inserted literally). Throws for an invalid regular expression.
 */
export function subnetNameMatcher(template: string, project: string): (name: string) => boolean {
  if (isRegex(template)) {
    const body = template.slice(1, -1).replaceAll('{project}', escapeRe(project));
    const re = new RegExp(`^(?:${body})$`);
    return (name) => re.test(name);
  }
  const glob = template
    .split('{project}')
    .map((part) =>
      part
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRe(c)))
        .join(''),
    )
    .join(escapeRe(project));
  const re = new RegExp(`^${glob}$`);
  return (name) => re.test(name);
}

/** Fills `{project}`, `{hostProject}` and `{org}`; returns the value or the name of the placeholder left unfilled. */
export function fillTemplate(
  template: string,
  values: { project: string; hostProject?: string | undefined; org?: string | undefined },
): { value: string } | { missing: string } {
  let v = template.replaceAll('{project}', values.project);
  for (const [k, val] of [
    ['hostProject', values.hostProject],
    ['org', values.org],
  ] as const) {
    if (!v.includes(`{${k}}`)) continue;
    if (!val) return { missing: `{${k}}` };
    v = v.replaceAll(`{${k}}`, val);
  }
  const left = /\{[^}]*\}/.exec(v);
  return left ? { missing: left[0] } : { value: v };
}

/** Reads `firewall.target`: the mapping, or every problem found (the caller positions them). */
export function readTarget(t: TargetInput): { target?: TargetMapping; problems: TargetProblem[] } {
  const problems: TargetProblem[] = [];
  const needProject = (key: string, v: string) => {
    if (!v.includes('{project}'))
      problems.push({
        key,
        message: `\`${v}\` must contain \`{project}\`: each project's rules must cover only that project's workloads`,
      });
  };
  const mode = t.mode === 'serviceAccount' ? 'serviceAccounts' : t.mode;
  if (mode !== 'subnets' && mode !== 'serviceAccounts' && mode !== 'secureTags') return { problems };
  const legacy = t.mode === 'serviceAccount';
  const allowed = new Set<string>(['mode', ...FIELDS[mode], ...(legacy ? ['template'] : [])]);
  for (const k of Object.keys(t) as (keyof TargetInput)[])
    if (!allowed.has(k) && t[k] !== undefined)
      problems.push({ key: k, message: `\`${k}\` does not apply to target mode ${t.mode}`, hint: hintFor(mode) });
  if (mode === 'subnets') {
    if (!t.subnets) {
      problems.push({ key: 'mode', message: 'target mode subnets needs `subnets`', hint: hintFor(mode) });
      return { problems };
    }
    needProject('subnets', t.subnets);
    try {
      subnetNameMatcher(t.subnets, 'p');
    } catch (e) {
      problems.push({
        key: 'subnets',
        message: `\`${t.subnets}\` is not a valid regular expression: ${(e as Error).message}`,
      });
    }
    if (problems.length) return { problems };
    return { target: { mode, subnets: t.subnets, ...(t.network ? { network: t.network } : {}) }, problems };
  }
  const templates = legacy ? (t.template ? [t.template] : []) : (t.templates ?? []);
  if (templates.length === 0) {
    problems.push({
      key: legacy ? 'template' : 'mode',
      message: `target mode ${t.mode} needs \`templates\``,
      hint: hintFor(mode),
    });
    return { problems };
  }
  templates.forEach((v, i) => {
    const key = legacy ? 'template' : `templates[${i}]`;
    const before = problems.length;
    needProject(key, v);
    if (problems.length > before) return;
    if (mode === 'serviceAccounts' && !SA_RE.test(v))
      problems.push({
        key,
        message: `\`${v}\` is not a service account e-mail (NAME@PROJECT.iam.gserviceaccount.com)`,
      });
    if (mode === 'secureTags') {
      if (!NAMESPACED_RE.test(v))
        problems.push({
          key,
          message: `\`${v}\` is not a namespaced tag value \`{parent}/{key}/{value}\``,
          hint: 'e.g. `{org}/egress-project/{project}`; the API takes numeric tagValues/N, which the applier looks up',
        });
      else if (v.includes('{org}') && !t.org)
        problems.push({ key, message: `\`${v}\` uses {org}: set firewall.target.org (the numeric organization id)` });
    }
  });
  if (t.org !== undefined && !/^\d+$/.test(t.org))
    problems.push({ key: 'org', message: `org \`${t.org}\` is not a numeric organization id` });
  if (problems.length) return { problems };
  return mode === 'serviceAccounts'
    ? { target: { mode, templates }, problems }
    : { target: { mode, templates, ...(t.org ? { org: t.org } : {}) }, problems };
}

function hintFor(mode: TargetMapping['mode']): string {
  return mode === 'subnets'
    ? 'e.g. {mode: subnets, subnets: "{project}-*", network: shared-vpc}'
    : mode === 'serviceAccounts'
      ? 'e.g. {mode: serviceAccounts, templates: ["workload@{project}.iam.gserviceaccount.com"]}'
      : 'e.g. {mode: secureTags, org: "123456789012", templates: ["{org}/egress-project/{project}"]}';
}
