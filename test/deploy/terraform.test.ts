/**
 * terraform/ cannot be planned here (no providers can be downloaded), so these tests parse every .tf file and check
 * that the deployment agrees with the code: entry points, environment, topic names, triggers, the firewall baseline
 * and least-privilege IAM. Each assertion names what to change when it fails.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform interpolations
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ipaddr from 'ipaddr.js';
import { OPTIONS } from '../../shared/runtime/config';
import {
  allRoles,
  type Block,
  loadTerraform,
  nested,
  PARSE_TIMEOUT_MS,
  resolve,
  resource,
  resourcesOf,
  type TerraformDoc,
  variableDefault,
} from './hcl';

const ROOT = join(__dirname, '..', '..');
const TF_DIR = join(ROOT, 'terraform');
/** The runtime major every deployed piece names (.nvmrc holds the exact version). */
const NODE_MAJOR = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim().split('.')[0];

/** Options only the local pipeline sets: the functions talk to the real Compute API. */
const LOCAL_ONLY = new Set([
  'EGRESS_COMPUTE_ENDPOINT',
  'EGRESS_LOGGING_ENDPOINT',
  // The CLI's defaults for the local stack (npm start writes them to .local/cli.env); the functions never read them.
  'EGRESS_STATE_FILE',
  'EGRESS_DNS_TABLE',
  'EGRESS_STATUS_SUBSCRIPTION',
  // The CLI's deadline per Google call (docs/operations.md); the functions keep their clients' own.
  'EGRESS_CALL_TIMEOUT',
]);
/** Only the drift job lists the bucket; the functions learn the bucket from each event. */
const DRIFT_ONLY = new Set(['EGRESS_MANIFEST_BUCKET']);

/**
 * The platform policy's band and the `*.googleapis.com` expansion. Read from the policy defaults when that module is
 * present; the fallback repeats the documented values (issue 2/3) so this file stands alone.
 */
function policyDefaults(): { priorityMin: number; priorityMax: number; googleapis: string[] } {
  try {
    const mod = require('../../shared/core/policy/defaults') as {
      DEFAULT_POLICY: {
        firewall: { priorityMin: number; priorityMax: number };
        wildcards: Record<string, { ranges: string[] }>;
      };
    };
    const p = mod.DEFAULT_POLICY;
    return {
      priorityMin: p.firewall.priorityMin,
      priorityMax: p.firewall.priorityMax,
      googleapis: [...(p.wildcards['*.googleapis.com']?.ranges ?? [])],
    };
  } catch {
    return { priorityMin: 1000, priorityMax: 2000000000, googleapis: ['199.36.153.8/30', '2600:2d00:0002:2000::/56'] };
  }
}

/** Canonical text of a CIDR (`2600:2d00:0002:2000::/64` and `2600:2d00:2:2000::/64` are the same range). */
function cidr(text: string): string {
  const [addr, len] = ipaddr.parseCIDR(text);
  return `${addr.toNormalizedString()}/${len}`;
}

/**
 * Entry-point names the code registers with the Functions Framework, per functions/<name>/ module:
 * `cloudEvent('name', …)` or `cloudEvent(CONST, …)` with `const CONST = 'name'` in the same file.
 */
function registeredEntryPoints(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const dir = join(ROOT, 'functions');
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const names: string[] = [];
    for (const file of readdirSync(join(dir, entry.name)).filter((f) => f.endsWith('.ts'))) {
      const src = readFileSync(join(dir, entry.name, file), 'utf8');
      const consts = new Map<string, string>();
      for (const m of src.matchAll(/const\s+([A-Za-z_$][\w$]*)\s*(?::\s*string\s*)?=\s*['"`]([\w-]+)['"`]/g)) {
        consts.set(m[1]!, m[2]!);
      }
      for (const m of src.matchAll(
        /\b(?:cloudEvent|http)\s*(?:<[^>()]*>)?\s*\(\s*(?:['"`]([\w-]+)['"`]|([A-Za-z_$][\w$]*))/g,
      )) {
        const name = m[1] ?? consts.get(m[2]!);
        if (name) names.push(name);
      }
    }
    out.set(entry.name, names);
  }
  return out;
}

let tf: TerraformDoc;

beforeAll(async () => {
  tf = await loadTerraform(TF_DIR);
}, PARSE_TIMEOUT_MS);

function functions(): [string, Block][] {
  return resourcesOf(tf, 'google_cloudfunctions2_function');
}

describe('terraform/ parses', () => {
  test('every .tf file parses and the expected files exist', () => {
    expect(tf.files).toEqual(
      expect.arrayContaining(['versions.tf', 'variables.tf', 'outputs.tf', 'functions.tf', 'firewall.tf']),
    );
  });

  test('the google provider is pinned to ~> 6', () => {
    const versions = readFileSync(join(TF_DIR, 'versions.tf'), 'utf8');
    expect(versions).toMatch(/source\s*=\s*"hashicorp\/google"/);
    expect(versions).toMatch(/version\s*=\s*"~> 6\.\d+"/);
  });

  test('every variable and output has a description; inputs the code also knows have validation', () => {
    for (const [name, [v]] of Object.entries(tf.variable)) {
      expect({ name, description: typeof v?.description === 'string' && v.description.length > 10 }).toEqual({
        name,
        description: true,
      });
    }
    for (const [name, [o]] of Object.entries(tf.output)) {
      expect({ name, description: typeof o?.description === 'string' }).toEqual({ name, description: true });
    }
    for (const name of ['project_id', 'host_project_id', 'network', 'region', 'manifest_prefix', 'changes_topic']) {
      expect({ name, validation: Array.isArray(tf.variable[name]?.[0]?.validation) }).toEqual({
        name,
        validation: true,
      });
    }
  });
});

describe('functions agree with the code', () => {
  test('each function deploys its own npm run package directory, zipped under a content-addressed name', () => {
    const { PACKAGES } = require('../../scripts/package') as typeof import('../../scripts/package');
    const archive = tf.data.archive_file?.function?.[0] as Block;
    expect(archive.source_dir).toBe('${path.module}/../build/functions/${each.key}');
    expect(tf.locals.packaged_functions).toBe(
      `\${toset(${JSON.stringify(PACKAGES.map((p) => p.name))})}`.replace(/,/g, ', '),
    );
    const object = resource(tf, 'google_storage_bucket_object', 'function_source');
    expect(object.name).toMatch(/\$\{each\.value\.output_md5\}\.zip$/);
    for (const [name, f] of functions()) {
      const pkg = PACKAGES.find((p) => p.target === nested(f, 'build_config').entry_point);
      const source = nested(f, 'build_config', 'source', 'storage_source');
      expect({ name, object: source.object }).toEqual({
        name,
        object: `\${google_storage_bucket_object.function_source["${pkg?.name}"].name}`,
      });
    }
  });

  test('two gen2 functions on the Node major of .nvmrc, one service account each, entry points egressValidator and egressApplier', () => {
    const fns = functions();
    const entryPoints = fns.map(([, f]) => nested(f, 'build_config').entry_point).sort();
    expect(entryPoints).toEqual(['egressApplier', 'egressValidator']);
    for (const [, f] of fns) expect(nested(f, 'build_config').runtime).toBe(`nodejs${NODE_MAJOR}`);
    const accounts = fns.map(([, f]) => nested(f, 'service_config').service_account_email);
    expect(new Set(accounts).size).toBe(fns.length);
  });

  const registered = registeredEntryPoints();
  test('every entry point the code registers is deployed by terraform', () => {
    const deployed = new Set(functions().map(([, f]) => nested(f, 'build_config').entry_point));
    for (const [module, names] of registered) {
      for (const n of names)
        expect({ module, entryPoint: n, deployed: deployed.has(n) }).toMatchObject({ deployed: true });
    }
  });

  test('every deployed entry point is registered by its functions/<name> module (or that module is still empty)', () => {
    const all = new Set([...registered.values()].flat());
    for (const [name, f] of functions()) {
      const ep = nested(f, 'build_config').entry_point as string;
      if (all.has(ep)) continue;
      // Not registered yet: acceptable only while functions/<name>/ is a placeholder that registers nothing.
      const module = name; // resource names are the module names: validator, applier
      expect({ entryPoint: ep, module, placeholder: registered.get(module)?.length === 0 }).toMatchObject({
        placeholder: true,
      });
      process.stderr.write(`note: functions/${module} registers no entry point yet; ${ep} is checked once it does\n`);
    }
  });

  test('both functions get exactly the OPTIONS environment (minus the local-only Compute endpoint)', () => {
    const expected = OPTIONS.map((o) => o.env)
      .filter((e) => !LOCAL_ONLY.has(e) && !DRIFT_ONLY.has(e))
      .sort();
    const env = tf.locals.runtime_env as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(expected);
    for (const [name, f] of functions()) {
      expect({ name, env: nested(f, 'service_config').environment_variables }).toEqual({
        name,
        env: '${local.runtime_env}',
      });
    }
  });

  test('defaults in terraform equal the code defaults (topic names, manifest prefix, policy file)', () => {
    const env = tf.locals.runtime_env as Record<string, string>;
    for (const o of OPTIONS) {
      if (LOCAL_ONLY.has(o.env) || DRIFT_ONLY.has(o.env) || o.default === '') continue;
      // Terraform turns numbers into strings when it sets environment variables.
      expect({ env: o.env, value: String(resolve(tf, env[o.env])) }).toEqual({ env: o.env, value: o.default });
    }
    expect(resolve(tf, env.EGRESS_POLICY_FILE)).toBe(OPTIONS.find((o) => o.key === 'policyFile')?.default);
    expect(resolve(tf, resource(tf, 'google_pubsub_topic', 'changes').name)).toBe('egress-changes');
    expect(resolve(tf, resource(tf, 'google_pubsub_topic', 'status').name)).toBe('egress-status');
    expect(variableDefault(tf, 'dead_letter_topic')).toBe('egress-dead-letter');
    expect(env.EGRESS_HOST_PROJECT).toBe('${var.host_project_id}');
    expect(env.EGRESS_FIREWALL_POLICY).toBe('${google_compute_network_firewall_policy.egress.name}');
  });

  test('the drift job runs `egress drift --repair --report-status` with the same environment plus the bucket', () => {
    const job = resource(tf, 'google_cloud_run_v2_job', 'drift');
    const container = nested(job, 'template', 'template', 'containers');
    expect([container.command, container.args].flat().join(' ')).toMatch(
      /egress(\.js)? drift --repair --report-status$/,
    );
    expect(nested(container, 'dynamic', 'env').for_each).toBe('${local.drift_env}');
    const driftEnv = tf.locals.drift_env as string;
    expect(driftEnv).toMatch(/^\$\{merge\(local\.runtime_env,/);
    for (const name of DRIFT_ONLY) expect(driftEnv).toContain(`${name} =`);
    const scheduler = resource(tf, 'google_cloud_scheduler_job', 'drift');
    expect(nested(scheduler, 'http_target').uri).toContain('${google_cloud_run_v2_job.drift.id}:run');
  });
});

describe('triggers', () => {
  test('the validator receives finalized, deleted and archived events of the manifest bucket, with retries', () => {
    const validator = resource(tf, 'google_cloudfunctions2_function', 'validator');
    const trigger = nested(validator, 'event_trigger');
    expect(trigger.retry_policy).toBe('RETRY_POLICY_RETRY');
    expect(nested(trigger, 'event_filters')).toEqual({
      attribute: 'bucket',
      value: '${google_storage_bucket.manifests.name}',
    });
    const extra = resource(tf, 'google_eventarc_trigger', 'validator_extra');
    expect(extra.for_each).toBe('${toset(local.validator_extra_events)}');
    const criteria = extra.matching_criteria as Block[];
    expect(criteria).toEqual(
      expect.arrayContaining([
        { attribute: 'type', value: '${each.value}' },
        { attribute: 'bucket', value: '${google_storage_bucket.manifests.name}' },
      ]),
    );
    expect(nested(extra, 'destination', 'cloud_run_service').service).toBe(
      '${google_cloudfunctions2_function.validator.name}',
    );
    const types = [trigger.event_type, ...(tf.locals.validator_extra_events as string[])].sort();
    expect(types).toEqual([
      'google.cloud.storage.object.v1.archived',
      'google.cloud.storage.object.v1.deleted',
      'google.cloud.storage.object.v1.finalized',
    ]);
  });

  test('the applier consumes egress-changes with retries, and every trigger subscription gets a dead-letter topic', () => {
    const trigger = nested(resource(tf, 'google_cloudfunctions2_function', 'applier'), 'event_trigger');
    expect(trigger).toMatchObject({
      event_type: 'google.cloud.pubsub.topic.v1.messagePublished',
      pubsub_topic: '${google_pubsub_topic.changes.id}',
      retry_policy: 'RETRY_POLICY_RETRY',
    });
    const wiring = tf.locals.dead_letter_wiring as Record<string, { trigger: string; topic: string }>;
    expect(Object.keys(wiring).sort()).toEqual([
      'applier',
      'validator-archived',
      'validator-deleted',
      'validator-finalized',
    ]);
    expect(wiring.applier?.topic).toBe('${google_pubsub_topic.dead_letter.id}');
    for (const key of ['validator-archived', 'validator-deleted', 'validator-finalized']) {
      expect(wiring[key]?.topic).toBe('${google_pubsub_topic.storage_dead_letter.id}');
    }
    const deadLetter = resource(tf, 'terraform_data', 'dead_letter');
    const exec = nested(deadLetter, 'provisioner', 'local-exec');
    expect(exec.command).toMatch(/--dead-letter-topic "\$DEAD_LETTER" --max-delivery-attempts "\$MAX_ATTEMPTS"/);
    expect(exec.command).toMatch(/--role roles\/pubsub\.subscriber/);
    const agentGrants = resource(tf, 'google_pubsub_topic_iam_member', 'dead_letter_agent');
    expect(agentGrants.role).toBe('roles/pubsub.publisher');
    expect(agentGrants.member).toBe('serviceAccount:${local.pubsub_service_agent}');
  });
});

describe('storage and Pub/Sub', () => {
  test('the manifest bucket is versioned, uniform-access and never public', () => {
    const bucket = resource(tf, 'google_storage_bucket', 'manifests');
    expect(bucket.uniform_bucket_level_access).toBe(true);
    expect(bucket.public_access_prevention).toBe('enforced');
    expect(nested(bucket, 'versioning').enabled).toBe(true);
  });

  test('egress-changes retains messages for seek; dead letters and status have pull subscriptions', () => {
    expect(resolve(tf, resource(tf, 'google_pubsub_topic', 'changes').message_retention_duration)).toBe('604800s');
    const subs = resourcesOf(tf, 'google_pubsub_subscription').map(([, s]) => [s.topic, s.push_config]);
    expect(subs).toEqual(
      expect.arrayContaining([
        ['${google_pubsub_topic.status.id}', undefined],
        ['${google_pubsub_topic.dead_letter.id}', undefined],
        ['${google_pubsub_topic.storage_dead_letter.id}', undefined],
      ]),
    );
  });
});

describe('zero-trust baseline', () => {
  const baseline = () => {
    const rules = {
      ...(tf.locals.baseline_rules_v4 as Record<string, Block>),
      ...(tf.locals.baseline_rules_v6 as Record<string, Block>),
    };
    return Object.entries(rules).map(([key, r]) => {
      const raw = (Array.isArray(r.ranges) ? r.ranges : resolve(tf, r.ranges)) as unknown[];
      return {
        key,
        priority: resolve(tf, r.priority) as number,
        action: r.action as string,
        ranges: raw.map((x) => String(resolve(tf, x))),
        logging: r.logging,
      };
    });
  };

  test('deny-all egress for 0.0.0.0/0 and ::/0 is logged and has the lowest priority of every rule', () => {
    const rules = baseline();
    const deny = rules.filter((r) => r.action === 'deny');
    expect(deny.map((r) => r.ranges).sort()).toEqual([['0.0.0.0/0'], ['::/0']]);
    for (const d of deny) {
      expect(d.logging).toBe(true);
      for (const other of rules.filter((r) => r.action !== 'deny')) expect(d.priority).toBeGreaterThan(other.priority);
      // Lowest user priority; 2147483644..2147483647 are the policy's predefined goto_next rules.
      expect(d.priority).toBeLessThanOrEqual(2147483547);
    }
    expect(new Set(rules.map((r) => r.priority)).size).toBe(rules.length);
  });

  test('the whole baseline sits below the applier band, and terraform knows the same band', () => {
    const band = policyDefaults();
    expect(variableDefault(tf, 'product_priority_min')).toBe(band.priorityMin);
    expect(variableDefault(tf, 'product_priority_max')).toBe(band.priorityMax);
    for (const r of baseline())
      expect({ rule: r.key, below: r.priority > band.priorityMax }).toEqual({ rule: r.key, below: true });
  });

  test('the Private Google Access allow is exactly the *.googleapis.com expansion of the platform policy', () => {
    const allowed = baseline()
      .filter((r) => r.action === 'allow')
      .flatMap((r) => r.ranges);
    expect(allowed.map(cidr).sort()).toEqual(policyDefaults().googleapis.map(cidr).sort());
  });

  test('IPv4 and IPv6 never share a rule', () => {
    for (const r of baseline()) {
      const families = new Set(r.ranges.map((x) => ipaddr.parseCIDR(x)[0].kind()));
      expect({ rule: r.key, families: families.size <= 1 }).toEqual({ rule: r.key, families: true });
    }
  });

  test('rules are individual resources: no authoritative *_with_rules resource that would wipe the applier rules', () => {
    expect(tf.resource.google_compute_network_firewall_policy_with_rules).toBeUndefined();
    const rule = resource(tf, 'google_compute_network_firewall_policy_rule', 'baseline');
    expect(rule.firewall_policy).toBe('${google_compute_network_firewall_policy.egress.name}');
    expect(rule.direction).toBe('EGRESS');
    const assoc = resource(tf, 'google_compute_network_firewall_policy_association', 'shared_vpc');
    expect(assoc.attachment_target).toBe('${local.network_id}');
  });

  test('*.googleapis.com resolves privately to private.googleapis.com', () => {
    expect(resource(tf, 'google_dns_managed_zone', 'googleapis')).toMatchObject({
      dns_name: 'googleapis.com.',
      visibility: 'private',
    });
    expect(resource(tf, 'google_dns_record_set', 'googleapis_wildcard')).toMatchObject({
      name: '*.googleapis.com.',
      type: 'CNAME',
      rrdatas: ['private.googleapis.com.'],
    });
    const a = resource(tf, 'google_dns_record_set', 'private_googleapis_a');
    const addrs = resolve(tf, a.rrdatas) as string[];
    const [net, len] = ipaddr.parseCIDR('199.36.153.8/30');
    expect(addrs).toHaveLength(4);
    for (const x of addrs) expect(ipaddr.parse(x).match(net, len)).toBe(true);
  });
});

describe('IAM', () => {
  test('no primitive roles anywhere', () => {
    const roles = allRoles(tf);
    expect(roles.length).toBeGreaterThan(10);
    const primitive = roles.filter((r) => /^roles\/(owner|editor|viewer)$/.test(r.role));
    expect(primitive).toEqual([]);
  });

  test('the applier custom role holds only the permissions of get/getRule/addRule/patchRule/removeRule + operation waits', () => {
    const writer = resource(tf, 'google_project_iam_custom_role', 'firewall_writer');
    expect([...(writer.permissions as string[])].sort()).toEqual([
      'compute.firewallPolicies.get',
      'compute.firewallPolicies.update',
      'compute.globalOperations.get',
      // target mode subnets: the host project's subnetworks (aggregatedList), read only
      'compute.subnetworks.list',
    ]);
    // Google has no compute.networkFirewallPolicies.* permission (the API collection name is not the permission name).
    expect(JSON.stringify(tf)).not.toContain('compute.networkFirewallPolicies.');
    expect(writer.project).toBe('${var.host_project_id}');
    const reader = resource(tf, 'google_project_iam_custom_role', 'firewall_reader');
    expect(reader.permissions).toEqual(['compute.firewallPolicies.get', 'compute.subnetworks.list']);
    // target mode secureTags: only resourcemanager.tagValues.get, on the listed tag keys only
    expect(resource(tf, 'google_organization_iam_custom_role', 'tag_value_reader').permissions).toEqual([
      'resourcemanager.tagValues.get',
    ]);
    expect(resource(tf, 'google_tags_tag_key_iam_member', 'applier_reads_tag_values')).toMatchObject({
      for_each: '${toset(var.secure_tag_key_ids)}',
      member: '${google_service_account.applier.member}',
    });
    const grant = resource(tf, 'google_project_iam_member', 'applier_writes_firewall');
    expect(grant).toMatchObject({
      project: '${var.host_project_id}',
      role: '${google_project_iam_custom_role.firewall_writer.id}',
      member: '${google_service_account.applier.member}',
    });
  });

  test('only the applier may write the firewall; the validator reads the bucket and publishes two topics', () => {
    const writers = allRoles(tf).filter((r) => r.role.includes('firewall_writer'));
    expect(writers.every((w) => /\.applier_writes_(regional_)?firewall\[0\]$/.test(w.where))).toBe(true);
    expect(resource(tf, 'google_storage_bucket_iam_member', 'validator_reads_manifests').role).toBe(
      'roles/storage.objectViewer',
    );
    expect(resource(tf, 'google_pubsub_topic_iam_member', 'validator_publishes').for_each).toEqual({
      changes: '${google_pubsub_topic.changes.id}',
      status: '${google_pubsub_topic.status.id}',
    });
  });

  test('the GCS service agent may publish (storage triggers) and pull-request builds cannot write the bucket', () => {
    expect(resource(tf, 'google_project_iam_member', 'gcs_agent_publishes').role).toBe('roles/pubsub.publisher');
    const bucketGrants = resourcesOf(tf, 'google_storage_bucket_iam_member')
      .filter(([, g]) => g.bucket === '${google_storage_bucket.manifests.name}')
      .map(([, g]) => String(g.member));
    expect(bucketGrants.some((m) => m.includes('ci_pr'))).toBe(false);
    expect(bucketGrants.some((m) => m.includes('ci_main'))).toBe(true);
  });
});

describe('terraform fmt', () => {
  const probe = spawnSync('terraform', ['version'], { encoding: 'utf8' });
  const hasTerraform = !probe.error;
  if (!hasTerraform) {
    process.stderr.write('skipping `terraform fmt -check`: the terraform binary is not on PATH\n');
  }
  (hasTerraform ? test : test.skip)('terraform fmt -check -recursive reports no differences', () => {
    const run = spawnSync('terraform', ['fmt', '-check', '-recursive', '-diff', 'terraform'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect({ status: run.status, diff: run.stdout }).toEqual({ status: 0, diff: '' });
  });
});
