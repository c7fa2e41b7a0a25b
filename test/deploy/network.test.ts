/**
 * The network preconditions terraform owns (terraform/network.tf, docs/deploy.md "Preconditions"): the DNS server
 * policy that produces the query logs `egress denials` reads, and the enforcement order set when terraform manages the
 * network. Each assertion says what to change when it fails.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform interpolations
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Block,
  loadTerraform,
  nested,
  PARSE_TIMEOUT_MS,
  resource,
  type TerraformDoc,
  variableDefault,
} from './hcl';

const TF_DIR = join(__dirname, '..', '..', 'terraform');
let tf: TerraformDoc;
beforeAll(async () => {
  tf = await loadTerraform(TF_DIR);
}, PARSE_TIMEOUT_MS);

const ORDERS = ['AFTER_CLASSIC_FIREWALL', 'BEFORE_CLASSIC_FIREWALL'];

describe('DNS server policy (query logs, no alternative name servers)', () => {
  test('created by default, on the Shared VPC, with logging', () => {
    const policy = resource(tf, 'google_dns_policy', 'shared_vpc');
    expect(policy.count).toBe('${var.create_dns_server_policy ? 1 : 0}');
    expect(variableDefault(tf, 'create_dns_server_policy')).toBe(true);
    expect(policy).toMatchObject({ project: '${var.host_project_id}', enable_logging: true });
    expect(nested(policy, 'networks').network_url).toBe('${local.network_id}');
  });

  test('names no alternative name server (it would disable Cloud NGFW FQDN objects) and no DNS64', () => {
    const policy = resource(tf, 'google_dns_policy', 'shared_vpc');
    expect(policy.alternative_name_server_config).toBeUndefined();
    expect(policy.dynamic).toBeUndefined();
    expect(policy.enable_inbound_forwarding).toBe(false);
  });
});

describe('enforcement order', () => {
  test('set on the network only when terraform manages it, BEFORE_CLASSIC_FIREWALL by default', () => {
    const net = resource(tf, 'google_compute_network', 'shared_vpc');
    expect(net.count).toBe('${var.manage_network ? 1 : 0}');
    expect(variableDefault(tf, 'manage_network')).toBe(false);
    expect(net.network_firewall_policy_enforcement_order).toBe('${var.network_firewall_policy_enforcement_order}');
    expect(variableDefault(tf, 'network_firewall_policy_enforcement_order')).toBe('BEFORE_CLASSIC_FIREWALL');
    const validation = nested(tf.variable.network_firewall_policy_enforcement_order![0] as Block, 'validation');
    for (const order of ORDERS) expect(String(validation.condition)).toContain(order);
  });

  test('a managed network is never destroyed, and terraform changes only its enforcement order', () => {
    const lifecycle = nested(resource(tf, 'google_compute_network', 'shared_vpc'), 'lifecycle');
    expect(lifecycle.prevent_destroy).toBe(true);
    const ignored = (lifecycle.ignore_changes as string[]).map((x) => x.replace(/^\$\{|\}$/g, ''));
    expect(ignored).toContain('auto_create_subnetworks');
    expect(ignored).not.toContain('network_firewall_policy_enforcement_order');
  });

  test('every reference to the network goes through local.network_id (read or managed)', () => {
    expect(tf.data.google_compute_network?.shared_vpc?.[0]?.count).toBe('${var.manage_network ? 0 : 1}');
    expect(tf.locals.network_id).toBe(
      '${var.manage_network ? google_compute_network.shared_vpc[0].id : data.google_compute_network.shared_vpc[0].id}',
    );
    for (const file of readdirSync(TF_DIR).filter((f) => f.endsWith('.tf') && f !== 'network.tf')) {
      const text = readFileSync(join(TF_DIR, file), 'utf8');
      expect({ file, direct: /google_compute_network\.shared_vpc/.test(text) }).toEqual({ file, direct: false });
    }
  });

  test('where the baseline says goto_next hands internal destinations to the VPC rules, it names the order', () => {
    for (const name of ['internal_ranges_v4', 'internal_ranges_v6']) {
      const description = String(tf.variable[name]?.[0]?.description);
      for (const order of ORDERS)
        expect({ name, order, named: description.includes(order) }).toMatchObject({ named: true });
    }
    const firewall = readFileSync(join(TF_DIR, 'firewall.tf'), 'utf8');
    for (const line of firewall.split('\n').filter((l) => /note\s+=.*VPC firewall rules/.test(l))) {
      expect(line).toContain('BEFORE_CLASSIC_FIREWALL');
    }
  });
});
