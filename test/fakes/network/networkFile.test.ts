import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EXAMPLE_NETWORK_FILE,
  exampleSubnetworks,
  loadNetworkFile,
  NetworkFileError,
  parseNetworkFile,
} from '../../../local/fakes/compute/subnets';

const problemsOf = (text: string, template = '{project}-*'): string[] => {
  try {
    parseNetworkFile(text, 'net.yaml', template);
  } catch (e) {
    if (e instanceof NetworkFileError) return e.problems;
    throw e;
  }
  throw new Error('expected a NetworkFileError');
};

describe('the network file (npm start -- --network FILE)', () => {
  test('examples/network.yaml describes the example projects, dual-stack customer-portal and a subnet of nobody', () => {
    const d = loadNetworkFile(EXAMPLE_NETWORK_FILE, '{project}-*');
    expect(d.network).toBe('shared-vpc');
    expect(d.subnets.map((s) => s.project ?? '-')).toEqual([
      'payment-gateway',
      'customer-portal',
      'data-pipeline',
      'data-pipeline',
      'fraud-scoring',
      'internal-wiki',
      'legacy-reports',
      'checkout',
      '-',
    ]);
    expect(d.subnets.find((s) => s.name === 'customer-portal-usc1')).toMatchObject({
      stackType: 'IPV4_IPV6',
      internalIpv6Prefix: 'fd20:a:b:1000::/64',
    });
    const fake = exampleSubnetworks('host');
    expect(fake[0]).toMatchObject({
      name: 'payment-gateway-usc1',
      network: 'https://www.googleapis.com/compute/v1/projects/host/global/networks/shared-vpc',
      secondaryIpRanges: [
        { rangeName: 'pods', ipCidrRange: '10.64.0.0/14' },
        { rangeName: 'services', ipCidrRange: '10.68.0.0/20' },
      ],
    });
    expect(fake.every((s) => !('project' in s))).toBe(true);
  });

  test('a bare list of subnets is a network named shared-vpc', () => {
    const d = parseNetworkFile(
      '- {name: zz-ledger-7-a, region: europe-west4, project: zz-ledger-7, ipCidrRange: 10.1.0.0/24}\n',
      'n.yaml',
    );
    expect(d).toMatchObject({ network: 'shared-vpc', subnets: [{ name: 'zz-ledger-7-a', region: 'europe-west4' }] });
  });

  test('every problem is reported with its file and line, and a hint', () => {
    const text = [
      'network: my-vpc', // 1
      'subnets:', // 2
      '  - name: ledger-usc1', // 3
      '    region: us-central1', // 4
      '    project: ledger', // 5
      '    ipCidrRange: 10.1.0.1/24', // 6: host bits
      '  - name: Bad_Name', // 7
      '    region: moon', // 8
      '    ipCidrRange: 10.2.0.0/24', // 9
      '  - name: other-usc1', // 10
      '    region: us-central1', // 11
      '    project: ledger', // 12: template does not give it to ledger
      '    ipCidrRange: 10.2.0.0/25', // 13: overlaps the subnet at line 7
      '    internalIpv6Prefix: fd20:a:b:1::/64', // 14: IPv4_ONLY
      '    colour: blue', // 15
      '  - name: v6-usc1', // 16
      '    region: us-central1', // 17
      '    stackType: IPV4_IPV6', // 18
      '    ipCidrRange: 10.3.0.0/24', // 19
      '    internalIpv6Prefix: 2001:db8::/64', // 20: not in fd20::/20
    ].join('\n');
    const p = problemsOf(text);
    const expectLine = (line: number, re: RegExp) =>
      expect(p.filter((x) => x.startsWith(`net.yaml:${line}: `) && re.test(x))).toHaveLength(1);
    expectLine(6, /ipCidrRange `10\.1\.0\.1\/24` has host bits set.*hint: e\.g\./);
    expectLine(7, /subnet name `Bad_Name`.*hint:/);
    expectLine(8, /region `moon`/);
    expectLine(10, /overlaps 10\.2\.0\.0\/24 of subnet Bad_Name \(line 7\)/);
    expectLine(
      10,
      /other-usc1 is meant for ledger but the naming template `\{project\}-\*` does not give it to ledger.*hint: name it after the template, e\.g\. ledger-usc1/,
    );
    expect(p.some((x) => x.startsWith('net.yaml:3: '))).toBe(false);
    expect(p.some((x) => x.startsWith('net.yaml:15: ') && /`colour` is not a subnet field/.test(x))).toBe(true);
    expect(
      p.some((x) => /other-usc1 has an IPv6 prefix but stackType IPV4_ONLY.*hint: set stackType: IPV4_IPV6/.test(x)),
    ).toBe(true);
    expectLine(20, /inside Google's ULA range fd20::\/20/);
    // The message a user sees: the lines, no stack trace.
    expect(new NetworkFileError(p).message).toMatch(/^invalid network file:\n {2}net\.yaml:\d+: /);
  });

  test('syntax errors, a missing list and an unreadable file are positioned too', () => {
    expect(problemsOf('subnets: [\n')[0]).toMatch(/^net\.yaml:\d+: YAML syntax/);
    expect(problemsOf('network: x\n')[0]).toMatch(/^net\.yaml:1: the network file needs a list of subnets \(hint:/);
    const dir = mkdtempSync(join(tmpdir(), 'netfile-'));
    try {
      expect(() => loadNetworkFile(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read it \(ENOENT\)/);
      writeFileSync(
        join(dir, 'dup.yaml'),
        '- {name: a-x, region: us-east1, ipCidrRange: 10.0.0.0/24}\n- {name: a-x, region: us-east1, ipCidrRange: 10.0.1.0/24}\n',
      );
      expect(() => loadNetworkFile(join(dir, 'dup.yaml'))).toThrow(
        /dup\.yaml:2: subnet a-x is described twice in us-east1 \(first at line 1\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
