/**
 * injectionSelection() against the injection webhooks of manifests/webhooks.yaml, judged as the API server judges
 * them (the simulation's shouldCall): for every combination of namespace and pod labels below, a pod is sent to
 * some webhook exactly when injectionSelection says so, and never to two of them.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocuments } from '../../src/core/documents.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { injectionSelection, selectionText } from '../../src/inject/selection.js';
import { shouldCall, type Webhook } from '../support/apiserver-sim.js';
import { REPO_ROOT } from '../support/cli.js';

const NAMESPACE_LABELS: Array<Record<string, string>> = [
  {},
  { 'istio-injection': 'enabled' },
  { 'istio-injection': 'disabled' },
  { 'istio.io/rev': 'default' },
  { 'istio.io/rev': 'canary' },
  { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' },
  { 'istio-injection': 'disabled', 'istio.io/rev': 'default' },
];
const POD_LABELS: Array<Record<string, string>> = [
  {},
  { app: 'x' },
  { 'sidecar.istio.io/inject': 'true' },
  { 'sidecar.istio.io/inject': 'false' },
  { 'sidecar.istio.io/inject': 'True' },
  { 'istio.io/rev': 'default' },
  { 'istio.io/rev': 'canary' },
  { 'istio.io/rev': 'default', 'sidecar.istio.io/inject': 'false' },
  { 'istio.io/rev': 'canary', 'sidecar.istio.io/inject': 'true' },
];

describe('injection webhook selection (src/inject/selection.ts) agrees with manifests/webhooks.yaml', () => {
  const docs = parseDocuments(readFileSync(join(REPO_ROOT, 'manifests', 'webhooks.yaml'), 'utf8'), 'webhooks.yaml');
  const mutating = docs.map((d) => d.value as { kind: string; webhooks: Webhook[] }).find((o) => o.kind === 'MutatingWebhookConfiguration')!;

  it('has the four injection webhooks Istio has for its default revision', () => {
    expect(mutating.webhooks.map((w) => w.name)).to.deep.equal([
      'sidecar-injector.mizzen.io',
      'rev.namespace.sidecar-injector.mizzen.io',
      'object.sidecar-injector.mizzen.io',
      'rev.object.sidecar-injector.mizzen.io',
    ]);
    expect(JSON.stringify(mutating)).to.include(`"values":["${DEFAULT_MESH_CONFIG.revision}"]`);
  });

  for (const ns of NAMESPACE_LABELS) {
    for (const pod of POD_LABELS) {
      const name = `namespace ${JSON.stringify(ns)}, pod ${JSON.stringify(pod)}`;
      it(name, () => {
        const object = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'p-', namespace: 'apps', labels: pod }, spec: {} };
        const attrs = { operation: 'CREATE' as const, group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespace: 'apps', object };
        const called = mutating.webhooks.filter((w) => shouldCall(w, attrs, { name: 'apps', labels: ns }));
        expect(called.length, 'at most one webhook').to.be.at.most(1);
        const selection = injectionSelection(ns, pod, DEFAULT_MESH_CONFIG.revision);
        expect(selection !== undefined, `${name}: webhooks ${called.map((w) => w.name).join(', ') || 'none'}, selection ${selection}`).to.equal(called.length === 1);
      });
    }
  }

  it('never sends a pod in a system namespace or the control plane namespace', () => {
    for (const system of ['kube-system', 'mizzen-system']) {
      const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: system, labels: { 'sidecar.istio.io/inject': 'true' } }, spec: {} };
      const attrs = { operation: 'CREATE' as const, group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespace: system, object };
      expect(mutating.webhooks.filter((w) => shouldCall(w, attrs, { name: system, labels: {} }))).to.deep.equal([]);
    }
  });

  it('says which label asks for the sidecar', () => {
    expect(selectionText('namespace-revision', 'apps', 'default')).to.equal('namespace apps has istio.io/rev=default');
    expect(selectionText('pod-label', 'apps', 'default')).to.equal('the pod has the label sidecar.istio.io/inject=true');
  });
});
