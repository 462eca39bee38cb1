/**
 * model/serviceentry-visibility.ts: a ServiceEntry's visibility from its namespace's labels (first policy whose rules
 * all hold, else the default), the exportTo it narrows to (as istiod's serviceExportTo), and a snapshot that leaves
 * hidden entries out, built whole or updated as workloads change.
 */
import { expect } from 'chai';
import { objectKey, type KubeObject } from '../../src/core/kube.js';
import { buildSnapshot, updateSnapshot, type SnapshotOptions } from '../../src/model/snapshot.js';
import { entryVisibility, narrowedExportTo, type EntryVisibility, type EntryVisibilitySettings } from '../../src/model/serviceentry-visibility.js';

const SETTINGS: EntryVisibilitySettings = {
  defaultVisibility: 'PUBLIC',
  policies: [
    { visibility: 'NONE', rules: [{ namespaceSelector: { matchLabels: { tier: 'sandbox' } } }, { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } }] },
    { visibility: 'NAMESPACE', rules: [{ namespaceSelector: { matchLabels: { tier: 'sandbox' } } }] },
    { visibility: 'NONE', rules: [{}] },
    { visibility: 'NAMESPACE', rules: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } } }] },
  ],
};

describe('serviceEntryVisibility: a ServiceEntry visibility from its namespace', () => {
  const table: Array<[string, string, Record<string, string>, EntryVisibility]> = [
    ['every rule of the first policy holds', 'shop', { tier: 'sandbox', team: 'a' }, 'NONE'],
    ['one rule of the first fails: the second policy', 'shop', { tier: 'sandbox' }, 'NAMESPACE'],
    ['a rule without a matcher never holds: past it to the default', 'shop', { tier: 'prod' }, 'PUBLIC'],
    ['the name label the API server sets counts', 'payments', {}, 'NAMESPACE'],
    ['no Namespace object: no labels but its name', 'shop', {}, 'PUBLIC'],
  ];
  for (const [name, ns, labels, want] of table) it(name, () => expect(entryVisibility(SETTINGS, ns, labels)).to.equal(want));

  it('no policies: the default', () => expect(entryVisibility({ defaultVisibility: 'NONE', policies: [] }, 'shop', { tier: 'sandbox' })).to.equal('NONE'));
  it('a policy without rules matches every namespace', () => expect(entryVisibility({ defaultVisibility: 'PUBLIC', policies: [{ visibility: 'NAMESPACE', rules: [] }] }, 'shop', {})).to.equal('NAMESPACE'));
});

describe("serviceEntryVisibility: the exportTo it narrows to (istiod's serviceExportTo)", () => {
  const table: Array<[string, EntryVisibility, string[], string[] | undefined, string[] | undefined]> = [
    ['PUBLIC keeps what is written', 'PUBLIC', ['other'], undefined, ['other']],
    ['PUBLIC keeps nothing written as nothing (the mesh default applies later)', 'PUBLIC', [], ['.'], []],
    ['NAMESPACE with nothing written (every namespace): its own', 'NAMESPACE', [], undefined, ['.']],
    ['NAMESPACE with *: its own', 'NAMESPACE', ['*'], undefined, ['.']],
    ['NAMESPACE with .: its own', 'NAMESPACE', ['.'], undefined, ['.']],
    ['NAMESPACE with its name among others: its own', 'NAMESPACE', ['other', 'shop'], undefined, ['.']],
    ['NAMESPACE with other namespaces only: nowhere', 'NAMESPACE', ['other'], undefined, undefined],
    ['NAMESPACE, nothing written, a mesh default of another namespace: nowhere', 'NAMESPACE', [], ['other'], undefined],
    ['NAMESPACE, nothing written, a mesh default of .: its own', 'NAMESPACE', [], ['.'], ['.']],
    ['NAMESPACE keeps ~ alone as written', 'NAMESPACE', ['~'], undefined, ['~']],
    ['NAMESPACE keeps a mesh default of ~ (nothing written)', 'NAMESPACE', [], ['~'], []],
    ['NONE: nowhere', 'NONE', ['*'], undefined, undefined],
    ['NONE with ~: nowhere too', 'NONE', ['~'], undefined, undefined],
  ];
  for (const [name, visibility, exportTo, defaults, want] of table) it(name, () => expect(narrowedExportTo(visibility, 'shop', exportTo, defaults)).to.deep.equal(want));
});

describe('serviceEntryVisibility: the snapshot', () => {
  const OPTS: SnapshotOptions = { serviceEntryVisibility: { defaultVisibility: 'PUBLIC', policies: [{ visibility: 'NONE', rules: [{ namespaceSelector: { matchLabels: { tier: 'sandbox' } } }] }] } };
  const entry = (name: string, namespace: string, created: string): KubeObject => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace, creationTimestamp: created },
    spec: { hosts: ['vm.example.internal'], ports: [{ number: 3306, name: 'tcp', protocol: 'TCP' }], workloadSelector: { labels: { app: 'db' } }, resolution: 'STATIC' },
  });
  const pod = (name: string, namespace: string, ip: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'db' } },
    spec: { containers: [{ name: 'app' }] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sandbox', labels: { tier: 'sandbox' } } } as KubeObject,
    entry('first', 'sandbox', '2024-01-01T00:00:00Z'),
    entry('second', 'shop', '2025-01-01T00:00:00Z'),
    pod('db-1', 'shop', '10.0.0.1'),
    pod('db-9', 'sandbox', '10.9.0.1'),
  ];

  it('the hidden first definition leaves the host to the next one, with its endpoints', () => {
    const snap = buildSnapshot(objects, OPTS);
    expect(snap.services.get('vm.example.internal')?.namespace).to.equal('shop');
    expect(snap.endpoints.get('vm.example.internal')?.map((e) => e.address)).to.deep.equal(['10.0.0.1']);
    // Without the policy the older one wins, as before.
    expect(buildSnapshot(objects).services.get('vm.example.internal')?.namespace).to.equal('sandbox');
  });

  it("a workload change recomputes the visible definition's endpoints, never the hidden one's (same as a full build)", () => {
    const prev = buildSnapshot(objects, OPTS);
    for (const added of [pod('db-10', 'sandbox', '10.9.0.2'), pod('db-2', 'shop', '10.0.0.2')]) {
      const after = [...objects, added];
      const next = updateSnapshot(prev, after, [objectKey(added)], OPTS);
      expect(next).to.deep.equal(buildSnapshot(after, OPTS));
    }
    const grown = [...objects, pod('db-2', 'shop', '10.0.0.2')];
    expect(updateSnapshot(prev, grown, [objectKey(grown.at(-1)!)], OPTS).endpoints.get('vm.example.internal')?.map((e) => e.address)).to.deep.equal(['10.0.0.1', '10.0.0.2']);
  });
});
