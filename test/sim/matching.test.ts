import { expect } from 'chai';
import { selectorMatches, ruleMatches, shouldCall, type Attributes, type Webhook } from '../support/apiserver-sim.js';
import type { LabelSelector } from '../../src/config/mesh.js';

describe('apiserver-sim: label selectors', () => {
  const table: Array<{ name: string; sel: LabelSelector | undefined; labels: Record<string, string>; want: boolean }> = [
    { name: 'absent selector matches all', sel: undefined, labels: {}, want: true },
    { name: 'empty selector matches all', sel: {}, labels: { a: '1' }, want: true },
    { name: 'matchLabels hit', sel: { matchLabels: { a: '1' } }, labels: { a: '1', b: '2' }, want: true },
    { name: 'matchLabels miss', sel: { matchLabels: { a: '1' } }, labels: { a: '2' }, want: false },
    { name: 'In hit', sel: { matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, labels: { a: '2' }, want: true },
    { name: 'In without the key', sel: { matchExpressions: [{ key: 'a', operator: 'In', values: ['1'] }] }, labels: {}, want: false },
    { name: 'NotIn without the key matches', sel: { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['false'] }] }, labels: {}, want: true },
    { name: 'NotIn with the value', sel: { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['false'] }] }, labels: { a: 'false' }, want: false },
    { name: 'Exists', sel: { matchExpressions: [{ key: 'a', operator: 'Exists' }] }, labels: { a: '' }, want: true },
    { name: 'DoesNotExist', sel: { matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, labels: { a: '' }, want: false },
    { name: 'labels AND expressions', sel: { matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'Exists' }] }, labels: { a: '1' }, want: false },
  ];
  for (const c of table) it(c.name, async () => expect(selectorMatches(c.sel, c.labels)).to.equal(c.want));
});

describe('apiserver-sim: rules and webhook selection', () => {
  const pod: Attributes = { operation: 'CREATE', group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespace: 'ns', object: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: {} } } };
  const rules: Array<{ name: string; rule: Parameters<typeof ruleMatches>[0]; a?: Partial<Attributes>; want: boolean }> = [
    { name: 'exact pod rule', rule: { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }, want: true },
    { name: 'other operation', rule: { operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }, want: false },
    { name: 'wildcards', rule: { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }, want: true },
    { name: '* does not match subresources', rule: { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }, a: { subResource: 'status' }, want: false },
    { name: '*/* matches subresources', rule: { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'] }, a: { subResource: 'status' }, want: true },
    { name: 'pods/status', rule: { operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/status'] }, a: { subResource: 'status' }, want: true },
    { name: 'Cluster scope rejects namespaced', rule: { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: 'Cluster' }, want: false },
    { name: 'Namespaced scope rejects cluster objects', rule: { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: 'Namespaced' }, a: { namespace: '' }, want: false },
    { name: 'other group', rule: { operations: ['*'], apiGroups: ['apps'], apiVersions: ['*'], resources: ['*'] }, want: false },
  ];
  for (const c of rules) it(c.name, async () => expect(ruleMatches(c.rule, { ...pod, ...c.a })).to.equal(c.want));

  const hook: Webhook = {
    name: 'w',
    clientConfig: {},
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] },
    objectSelector: { matchLabels: { app: 'x' } },
  };
  it('namespaceSelector sees the automatic kubernetes.io/metadata.name label', async () => {
    const labelled = { ...pod, object: { ...pod.object!, metadata: { labels: { app: 'x' } } } };
    expect(shouldCall(hook, labelled, { name: 'ns' })).to.equal(true);
    expect(shouldCall(hook, { ...labelled, namespace: 'kube-system' }, { name: 'kube-system' })).to.equal(false);
  });
  it('objectSelector: the new or the old object may match', async () => {
    const update = { ...pod, operation: 'UPDATE' as const, oldObject: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { app: 'x' } } } };
    expect(shouldCall({ ...hook, rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }] }, update, { name: 'ns' })).to.equal(true);
    expect(shouldCall(hook, pod, { name: 'ns' })).to.equal(false);
  });
});
