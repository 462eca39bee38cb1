import { expect } from 'chai';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { parseDocuments } from '../../src/core/documents.js';
import type { KubeObject } from '../../src/core/kube.js';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { DEFAULT_MESH_CONFIG, resolveMeshConfig, snapshotOptions, type MeshConfig } from '../../src/config/mesh.js';
import { describePod, findTarget, type PodDescription } from '../../src/describe/pod.js';
import { describeText } from '../../src/describe/text.js';
import { summarizeMatch } from '../../src/describe/match.js';
import { readObjects } from '../xds/gen/helpers.js';
import { BOOKINFO_DIR } from '../support/samples.js';
import { mizzen } from '../support/cli.js';
import { scratchDir } from '../support/tmp.js';

const yaml = (text: string): KubeObject[] => parseDocuments(text).map((d) => d.value as KubeObject);
const sample = (f: string): KubeObject[] => readObjects(join(BOOKINFO_DIR, f));

const POLICIES = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: STRICT } }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: reviews-metrics }
spec: { selector: { matchLabels: { app: reviews } }, portLevelMtls: { "9080": { mode: PERMISSIVE } } }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: reviews-readers }
spec: { selector: { matchLabels: { app: reviews } }, rules: [{ from: [{ source: { principals: [cluster.local/ns/default/sa/bookinfo-productpage] } }] }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: trial, annotations: { istio.io/dry-run: "true" } }
spec: { action: DENY, selector: { matchLabels: { app: reviews } }, rules: [{}] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ratings-only }
spec: { selector: { matchLabels: { app: ratings } } }
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: reviews-scope }
spec: { workloadSelector: { labels: { app: reviews } }, egress: [{ hosts: ["./*"] }] }`;

const NAMESPACE = (labels: string) => `
apiVersion: v1
kind: Namespace
metadata: { name: default, labels: { ${labels} } }`;

function describe_(objects: KubeObject[], ref: string, mesh: MeshConfig = DEFAULT_MESH_CONFIG): PodDescription {
  const t = findTarget(objects, ref);
  if (!t.ok) throw new Error(t.errors.join('; '));
  const namespaces = new Map(objects.filter((o) => o.kind === 'Namespace').map((o) => [o.metadata.name!, (o.metadata.labels ?? {}) as Record<string, string>]));
  return describePod(buildSnapshot(objects, snapshotOptions(mesh)), t.value, mesh, (ns) => namespaces.get(ns));
}

const bookinfo = (...networking: string[]): KubeObject[] => [...sample('platform/bookinfo.yaml'), ...networking.flatMap((f) => sample(`networking/${f}`))];

describe('describe pod', () => {
  it('finds a Pod, else a workload whose pod template it describes; name.namespace picks the namespace', () => {
    const objects = [...bookinfo(), ...yaml(`apiVersion: v1\nkind: Pod\nmetadata: { name: reviews-v1, namespace: other, labels: { app: reviews } }\nspec: { containers: [{ name: app, image: x }] }`)];
    const ambiguous = findTarget(objects, 'reviews-v1');
    expect(ambiguous.ok === false && ambiguous.errors).to.deep.equal(['reviews-v1 is in several namespaces (other, default): say which, as name.namespace']);
    const pod = findTarget(objects, 'reviews-v1.other');
    expect(pod.ok && [pod.value.kind, pod.value.namespace]).to.deep.equal(['Pod', 'other']);
    const deployment = findTarget(objects, 'reviews-v1.default');
    expect(deployment.ok && [deployment.value.kind, deployment.value.pod.metadata.labels]).to.deep.equal(['Deployment', { app: 'reviews', version: 'v1' }]);
    const none = findTarget(objects, 'reviews-v9');
    expect(none.ok === false && none.errors[0]).to.match(/^no Pod or workload .* named reviews-v9 in the input$/);
  });

  it('says which subsets take the pod and which VirtualService rules reach it, as clients see them', () => {
    const objects = bookinfo('destination-rule-all.yaml', 'virtual-service-reviews-jason-v2-v3.yaml');
    const v1 = describe_(objects, 'reviews-v1');
    expect(v1.services).to.have.length(1);
    const [reviews] = v1.services;
    expect(reviews!.host).to.equal('reviews.default.svc.cluster.local');
    expect(reviews!.ports).to.deep.equal([{ name: 'http', port: 9080, targetPort: 9080, protocol: 'HTTP', mtls: 'PERMISSIVE' }]);
    expect(reviews!.destinationRule).to.deep.include({ name: 'default/reviews', matchingSubsets: ['v1'], otherSubsets: ['v2', 'v3'] });
    expect(reviews!.virtualService!.reachesPod).to.equal(false);
    expect(describeText(v1)).to.include('WARNING: no HTTP rule routes to this pod (checked 2)');

    const v2 = describe_(objects, 'reviews-v2').services[0]!.virtualService!;
    expect(v2.reachesPod).to.equal(true);
    expect(v2.http[0]).to.deep.equal({ rule: '#0', match: 'header end-user exact jason', destinations: [{ to: 'reviews.default.svc.cluster.local subset v2', weight: 100, thisPod: true }] });
    expect(v2.http[1]!.destinations[0]!.thisPod).to.equal(false);
  });

  it('without a VirtualService or DestinationRule, says so: every endpoint of the port serves', () => {
    const d = describe_(bookinfo(), 'details-v1');
    expect(d.services[0]).to.not.have.property('destinationRule');
    expect(d.services[0]).to.not.have.property('virtualService');
    expect(describeText(d)).to.include('VirtualService: none: requests go to every endpoint of the port');
  });

  it('shows the mTLS mode per port, the Sidecar resource and the enforced AuthorizationPolicies (not dry-run ones)', () => {
    const objects = [...bookinfo(), ...yaml(POLICIES)];
    const reviews = describe_(objects, 'reviews-v2');
    expect(reviews.services[0]!.ports[0]!.mtls).to.equal('PERMISSIVE');
    expect(reviews.sidecarResource).to.equal('default/reviews-scope');
    expect(reviews.authorizationPolicies).to.deep.equal(['ALLOW default/reviews-readers']);
    const details = describe_(objects, 'details-v1');
    expect(details.services[0]!.ports[0]!.mtls).to.equal('STRICT');
    expect(details).to.not.have.property('sidecarResource');
    expect(details.authorizationPolicies).to.deep.equal([]);
  });

  it('names the PeerAuthentications that decide the mTLS modes, by level, the mesh first', () => {
    const objects = [...bookinfo(), ...yaml(POLICIES)];
    const reviews = describe_(objects, 'reviews-v2');
    expect(reviews.peerAuthentications).to.deep.equal(['istio-system/default (mesh)', 'default/reviews-metrics (workload)']);
    expect(describeText(reviews)).to.include('PeerAuthentications in force: istio-system/default (mesh), default/reviews-metrics (workload)');
    expect(describe_(objects, 'details-v1').peerAuthentications).to.deep.equal(['istio-system/default (mesh)']);
    const none = describe_(bookinfo(), 'details-v1');
    expect(none.peerAuthentications).to.deep.equal([]);
    expect(describeText(none)).to.include('PeerAuthentications in force: none (PERMISSIVE)');
  });

  it("reads the root namespaces of the mesh config: with rootNamespace set, istio-system's mesh-wide resources are its own only", () => {
    const meshWide = (ns: string) => `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: mesh, namespace: ${ns} }
spec: { mtls: { mode: STRICT } }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: mesh, namespace: ${ns} }
spec: { action: DENY, rules: [{ to: [{ operation: { paths: [/admin] } }] }] }
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: mesh, namespace: ${ns} }
spec: { egress: [{ hosts: ["./*"] }] }`;
    const rooted = resolveMeshConfig({ rootNamespace: 'mesh-admin' });
    if (!rooted.ok) throw new Error(rooted.errors.join('; '));
    const summary = (d: PodDescription) => [d.services[0]!.ports[0]!.mtls, d.sidecarResource, d.authorizationPolicies];
    const objects = [...bookinfo(), ...yaml(meshWide('istio-system')), ...yaml(`---${meshWide('mesh-admin')}`)];
    expect(summary(describe_(objects, 'details-v1'))).to.deep.equal(['STRICT', 'istio-system/mesh', ['DENY istio-system/mesh']]);
    expect(summary(describe_(objects, 'details-v1', rooted.value))).to.deep.equal(['STRICT', 'mesh-admin/mesh', ['DENY mesh-admin/mesh']]);
    expect(summary(describe_([...bookinfo(), ...yaml(meshWide('istio-system'))], 'details-v1', rooted.value))).to.deep.equal(['PERMISSIVE', undefined, []]);
  });

  it('names the gateways that expose the workload, with the rules that reach it', () => {
    const d = describe_(bookinfo('bookinfo-gateway.yaml'), 'productpage-v1');
    expect(d.exposedBy).to.deep.equal([
      {
        gateways: ['default/bookinfo-gateway'],
        virtualService: 'default/bookinfo',
        hosts: ['*'],
        routes: ['#0: uri exact /productpage or uri prefix /static or uri exact /login or uri exact /logout or uri prefix /api/v1/products'],
      },
    ]);
    expect(describe_(bookinfo('bookinfo-gateway.yaml'), 'reviews-v1').exposedBy).to.deep.equal([]);
  });

  it('tells whether the pod has a sidecar, would get one, or why not', () => {
    const injected = yaml(`apiVersion: v1\nkind: Pod\nmetadata: { name: p, labels: { app: x } }\nspec: { containers: [{ name: app, image: x }, { name: istio-proxy, image: envoy }] }`);
    expect(describe_(injected, 'p').sidecar).to.equal('injected (istio-proxy)');
    const objects = bookinfo();
    expect(describe_(objects, 'ratings-v1').sidecar).to.match(/^none yet: the Namespace default is not in the input/);
    expect(describe_([...objects, ...yaml(NAMESPACE('team: a'))], 'ratings-v1').sidecar).to.match(/^none: neither the namespace default nor the pod asks for injection/);
    expect(describe_([...objects, ...yaml(NAMESPACE('istio-injection: enabled'))], 'ratings-v1').sidecar).to.match(/^none yet: the webhook injects it at creation/);
    const optOut = yaml(`apiVersion: v1\nkind: Pod\nmetadata: { name: q, labels: { sidecar.istio.io/inject: "false" } }\nspec: { containers: [{ name: app, image: x }] }`);
    expect(describe_(optOut, 'q').sidecar).to.match(/^none: /);
  });

  it('notes a workload no Service selects', () => {
    const d = describe_(yaml(`apiVersion: v1\nkind: Pod\nmetadata: { name: lonely, labels: { app: lonely } }\nspec: { containers: [{ name: app, image: x }] }`), 'lonely');
    expect(d.services).to.deep.equal([]);
    expect(d.notes).to.deep.equal(['no Service in default selects it: it serves no mesh traffic by name']);
  });

  it('summarizes matches in a line', () => {
    expect(summarizeMatch([])).to.equal('any request');
    expect(summarizeMatch([{ uri: { prefix: '/api' }, headers: { 'x-user': {} }, sourceLabels: { app: 'web' } }, { method: { exact: 'GET' } }])).to.equal('uri prefix /api, header x-user present, from app=web or method exact GET');
  });
});

describe('mizzen describe pod', function () {
  this.timeout(60_000);
  it('prints the description (text or JSON); an unknown workload exits 1, a bad command 2', async () => {
    const dir = scratchDir('mizzen-describe-');
    writeFileSync(join(dir, 'extra.yaml'), NAMESPACE('istio-injection: enabled'));
    const args = ['-f', join(BOOKINFO_DIR, 'platform/bookinfo.yaml'), '-f', join(BOOKINFO_DIR, 'networking/destination-rule-all.yaml'), '-f', join(dir, 'extra.yaml')];
    const text = await mizzen(['describe', 'pod', 'reviews-v3', ...args]);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout.split('\n').slice(0, 3)).to.deep.equal([
      'Deployment default/reviews-v3 (its pod template)',
      '  labels: app=reviews, version=v3',
      '  sidecar: none yet: the webhook injects it at creation (namespace default has istio-injection=enabled)',
    ]);
    expect(text.stdout).to.include('    subsets with this pod: v3; without it: v1, v2');
    const json = await mizzen(['describe', 'pod', 'reviews-v3.default', '-o', 'json', ...args]);
    expect(JSON.parse(json.stdout).services[0].destinationRule.matchingSubsets).to.deep.equal(['v3']);
    const missing = await mizzen(['describe', 'pod', 'nope', ...args]);
    expect([missing.code, missing.stderr]).to.deep.equal([1, 'mizzen describe: no Pod or workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) named nope in the input\n']);
    expect((await mizzen(['describe', 'service', 'reviews', ...args])).code).to.equal(2);
    expect((await mizzen(['describe', 'pod', 'reviews-v3', '-f', join(dir, 'absent.yaml')])).code).to.equal(2);
  });
});
