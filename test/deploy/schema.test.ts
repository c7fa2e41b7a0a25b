/**
 * terraform/*.tf against the pinned providers' schemas (fixtures/provider-schema.json, written by
 * scripts/tf-schema.ts from the providers' prebuilt CDK bindings; docs/deploy.md "Provider schema" says how to
 * regenerate it on a provider bump). A misspelled type, argument or nested block fails here instead of at
 * `terraform plan`.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requiredProviders, usedTypes } from '../../scripts/tf-schema';
import { PARSE_TIMEOUT_MS } from './hcl';
import { checkTerraformDir, loadFixture, satisfies } from './schema';

jest.setTimeout(PARSE_TIMEOUT_MS);

const TF_DIR = join(__dirname, '..', '..', 'terraform');
const fixture = loadFixture();
const tfSources = () =>
  readdirSync(TF_DIR)
    .filter((f) => f.endsWith('.tf'))
    .map((f) => readFileSync(join(TF_DIR, f), 'utf8'));

test('every resource and data source type, argument and nested block of terraform/ exists in the pinned providers, every required one is set', async () => {
  const problems = await checkTerraformDir(TF_DIR, fixture);
  expect(problems.map((p) => `${p.file}: ${p.where}: ${p.message}`)).toEqual([]);
});

test('the fixture describes the providers terraform/versions.tf pins, at a version the pin allows', () => {
  const pins = requiredProviders(tfSources());
  expect(Object.keys(pins).sort()).toEqual(Object.keys(fixture.providers).sort());
  for (const [name, pin] of Object.entries(pins)) {
    const schema = fixture.providers[name]!;
    // A changed pin needs a regenerated fixture (docs/deploy.md, "Provider schema").
    expect({ name, source: schema.source, constraint: schema.constraint }).toEqual({ name, ...pin });
    expect({ name, version: schema.version, allowed: satisfies(pin.constraint, schema.version) }).toEqual({
      name,
      version: schema.version,
      allowed: true,
    });
  }
});

test('the fixture holds a schema for exactly the types terraform/ uses (stale entries mean it was not regenerated)', () => {
  const used = usedTypes(tfSources());
  const builtin = new Set(['terraform_data']);
  const providers = Object.values(fixture.providers);
  expect(providers.flatMap((p) => Object.keys(p.resources)).sort()).toEqual(
    [...used.resources].filter((t) => !builtin.has(t)).sort(),
  );
  expect(providers.flatMap((p) => Object.keys(p.dataSources)).sort()).toEqual([...used.data].sort());
});

test('version constraints: ~> X.Y allows the newest X.*, ~> X.Y.Z only X.Y.*', () => {
  expect(satisfies('~> 6.0', '6.50.0')).toBe(true);
  expect(satisfies('~> 6.0', '7.0.0')).toBe(false);
  expect(satisfies('~> 2.4', '2.3.0')).toBe(false);
  expect(satisfies('~> 2.4.1', '2.5.0')).toBe(false);
  expect(satisfies('~> 2.4.1', '2.4.9')).toBe(true);
});

describe('a mutated copy of terraform/ fails the check, naming file, block and the near name', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'egress-tf-schema-'));
    cpSync(TF_DIR, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const mutate = (file: string, from: RegExp, to: string) => {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(from);
    writeFileSync(path, text.replace(from, to));
  };
  const problems = async () =>
    (await checkTerraformDir(dir, fixture)).map((p) => `${p.file}: ${p.where}: ${p.message}`);

  test('a misspelled argument', async () => {
    mutate('firewall.tf', /\n {2}enable_logging {2}= each\.value\.logging/, '\n  enable_loging  = each.value.logging');
    expect(await problems()).toEqual([
      'firewall.tf: google_compute_network_firewall_policy_rule.baseline: unknown argument or block "enable_loging" (did you mean "enable_logging"?)',
    ]);
  });

  test('a misspelled argument inside a nested block', async () => {
    mutate('firewall.tf', /dest_ip_ranges = each\.value\.ranges/, 'dest_ip_range = each.value.ranges');
    expect(await problems()).toEqual([
      'firewall.tf: google_compute_network_firewall_policy_rule.baseline.match: unknown argument or block "dest_ip_range" (did you mean "dest_ip_ranges"?)',
    ]);
  });

  test('a misspelled block inside a dynamic block', async () => {
    mutate('drift.tf', /dynamic "env" \{/, 'dynamic "envs" {');
    expect(await problems()).toEqual([
      'drift.tf: google_cloud_run_v2_job.drift.template.template.containers: dynamic "envs": no such nested block (did you mean "env"?)',
    ]);
  });

  test('a misspelled argument in lifecycle.ignore_changes', async () => {
    mutate('network.tf', /\n {6}routing_mode,/, '\n      routing_mod,');
    expect(await problems()).toEqual([
      'network.tf: google_compute_network.shared_vpc: lifecycle.ignore_changes: unknown argument "routing_mod" (did you mean "routing_mode"?)',
    ]);
  });

  test('a missing required argument and a missing required nested block', async () => {
    mutate('network.tf', /\n {4}network_url = local\.network_id\n/, '\n');
    mutate(
      'firewall.tf',
      /\n {4}layer4_configs \{\n {6}ip_protocol = each\.value\.protocol\n {6}ports {7}= each\.value\.ports\n {4}\}\n/,
      '\n',
    );
    expect(await problems()).toEqual([
      'firewall.tf: google_compute_network_firewall_policy_rule.baseline.match: missing required nested block layer4_configs { ... }',
      'network.tf: google_dns_policy.shared_vpc.networks: missing required argument "network_url"',
    ]);
  });

  test('a misspelled resource type', async () => {
    mutate('firewall.tf', /resource "google_compute_route"/, 'resource "google_compute_routes"');
    expect(await problems()).toEqual([
      'firewall.tf: resource "google_compute_routes": no such resource type in google 6.50.0 (did you mean "google_compute_route"?)',
    ]);
  });
});
