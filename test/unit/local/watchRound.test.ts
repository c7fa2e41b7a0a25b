/** What npm start's watcher prints for a round's changes (local/program/watchRound.ts; issue 19, items 3 and 10). */

import type { Outcome } from '../../../local/program/render';
import { deletionNote, renderChanges } from '../../../local/program/watchRound';
import { makeStatus } from '../../../shared/core/events/codec';
import type { StatusData } from '../../../shared/core/events/types';

const status = (data: StatusData) => makeStatus(data, '//test', new Date(0));
const plan = (d: number) => ({ create: 0, update: d ? 0 : 1, delete: d, unchanged: 0 });

const deleted = (project: string, data: Partial<StatusData>): Outcome => ({
  file: `examples/manifests/${project}.yaml`,
  object: `manifests/${project}.yaml`,
  project,
  change: 'delete',
  generation: '7',
  status: status({ outcome: 'applied', project, ...data }),
});

describe('renderChanges', () => {
  it('names a deletion by its file and says "rules revoked" only when an allow was removed', () => {
    const revoked = deleted('pay', { plan: plan(2) });
    // A manifest that never had rules: its delete writes nothing, no tombstone either (skipped, nothing to revoke).
    const never = deleted('broken-feed', {
      outcome: 'skipped',
      reason:
        'nothing to revoke: broken-feed has no rules in the firewall (its manifest never had rules); no tombstone written',
    });
    const empty = deleted('quiet', { plan: plan(0) });
    expect(renderChanges([revoked, never, empty])).toEqual([
      '  examples/manifests/pay.yaml: deleted, rules revoked (+0 ~0 -2 =0)',
      '  examples/manifests/broken-feed.yaml: deleted, nothing to revoke (broken-feed never had rules; no tombstone written)',
      '  examples/manifests/quiet.yaml: deleted, nothing to revoke (quiet had no allow rule)',
    ]);
    expect([revoked, never, empty].map(deletionNote)).toEqual([
      'manifest deleted: rules revoked',
      'manifest deleted: nothing to revoke',
      'manifest deleted: nothing to revoke',
    ]);
  });

  it('reports a rename to another key as one change: the new name is a different project', () => {
    const from = deleted('x', { plan: plan(1) });
    const to: Outcome = {
      file: 'examples/manifests/x-v2.yaml',
      object: 'manifests/x-v2.yaml',
      project: 'x-v2',
      change: 'upload',
      generation: '8',
      status: status({
        outcome: 'rejected',
        project: 'x-v2',
        diagnostics: [{ severity: 'error', code: 'NAME_MISMATCH', message: 'm', line: 4, column: 9, path: '' }],
      }),
    };
    const lines = renderChanges([from, to], [{ from, to }]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^ {2}examples\/manifests\/x\.yaml renamed to examples\/manifests\/x-v2\.yaml: a file's name is its project key, so x-v2 is a new project, not x renamed\. x-v2 \(examples\/manifests\/x-v2\.yaml\): REJECTED \(1 error\), firewall left as it was\. x \(examples\/manifests\/x\.yaml\): deleted, rules revoked/,
    );
  });
});
