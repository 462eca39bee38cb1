/**
 * The mesh config's serviceEntryVisibility with applyToSidecars, as istiod applies it to sidecars: a ServiceEntry's
 * visibility, from its namespace's labels, narrows its exportTo (clusters and routes of proxies in other namespaces,
 * gateways too); NONE configures it nowhere and takes no host from another definition; Kubernetes Services are
 * untouched; a namespace relabelled or a mesh config changed re-resolves it through the incremental path.
 */
import { expect } from 'chai';
import { buildSnapshot, updateSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { objectKey, type KubeObject } from '../../../src/core/kube.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import type { Snapshot } from '../../../src/model/types.js';
import { GATEWAY, bookinfo, expectValid, proxy, yamlObjects } from './helpers.js';

/** A sleep pod in namespace `other`, outside Bookinfo's `default`. */
const OTHER = 'sidecar~10.244.9.9~sleep-1.other~other.svc.cluster.local';
const SAME = 'sidecar~10.244.0.11~productpage-v1-7d6cfb7dfd-abcde.default~default.svc.cluster.local';
const GW = proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' } });

const WEB = 'outbound|80||web.example.com';
const API = 'outbound|443||api.example.com';
const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

const namespace = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });

const ENTRIES = yamlObjects(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: web, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z" }
spec: { hosts: [web.example.com], ports: [{ number: 80, name: http, protocol: HTTP }], resolution: DNS }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: api, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z" }
spec: { hosts: [api.example.com], exportTo: [other], ports: [{ number: 443, name: tls, protocol: TLS }], resolution: DNS }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: istio-system }
spec: { selector: { istio: ingressgateway }, servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ['*'] }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: istio-system }
spec: { hosts: ['*'], gateways: [gw], http: [{ route: [{ destination: { host: web.example.com, port: { number: 80 } } }] }] }
`);

const RESTRICTED = { tier: 'restricted' };
/** Namespaces labelled `tier: restricted` get `visibility`; the others the default. */
const meshWith = (visibility: string, defaultVisibility = 'PUBLIC', extra: Record<string, unknown> = {}) => ({
  serviceEntryVisibility: { applyToSidecars: true, defaultVisibility, policies: [{ visibility, matchingRules: [{ namespaceSelector: { matchLabels: RESTRICTED } }] }] },
  ...extra,
});

function options(mesh: Record<string, unknown>) {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return snapshotOptions(r.value);
}
const objectsWith = (defaultLabels: Record<string, string>, more: KubeObject[] = []): KubeObject[] => [
  ...bookinfo(),
  namespace('default', defaultLabels),
  namespace('other'),
  namespace('istio-system'),
  ...ENTRIES,
  ...more,
];
const world = (mesh: Record<string, unknown>, defaultLabels: Record<string, string> = RESTRICTED, more: KubeObject[] = []): Snapshot => buildSnapshot(objectsWith(defaultLabels, more), options(mesh));
const clusters = (snap: Snapshot, id: string) => generate(snap, proxy(id), TypeUrls.cluster).map((c) => c.name);
const gatewayClusters = (snap: Snapshot) => generate(snap, GW, TypeUrls.cluster).map((c) => c.name);
const routeText = (snap: Snapshot, id: string) => JSON.stringify(generate(snap, proxy(id), TypeUrls.route));

describe('mesh config: serviceEntryVisibility (applyToSidecars)', () => {
  it('unset: ServiceEntries are visible as their exportTo says', () => {
    const snap = world({});
    expect(clusters(snap, OTHER)).to.include.members([WEB, API, REVIEWS]);
    expect(clusters(snap, SAME)).to.include(WEB).and.not.include(API);
  });

  it('NAMESPACE: the ServiceEntry (exportTo unset: *) stays in its namespace; the other namespace gets neither cluster nor route', () => {
    const snap = world(meshWith('NAMESPACE'));
    expect(clusters(snap, SAME)).to.include(WEB);
    expect(routeText(snap, SAME)).to.include('web.example.com');
    expect(clusters(snap, OTHER)).to.not.include(WEB);
    expect(routeText(snap, OTHER)).to.not.include('web.example.com');
    // The ingress gateway, in istio-system, is another namespace too.
    expect(gatewayClusters(snap)).to.not.include(WEB);
    for (const t of [TypeUrls.cluster, TypeUrls.listener, TypeUrls.route]) expectValid(t, generate(snap, proxy(OTHER), t));
  });

  it('NAMESPACE with an exportTo of another namespace only: visible nowhere', () => {
    const snap = world(meshWith('NAMESPACE'));
    expect(clusters(snap, OTHER)).to.not.include(API);
    expect(clusters(snap, SAME)).to.not.include(API);
    expect(snap.services.has('api.example.com')).to.equal(false);
  });

  it('a namespace no policy matches takes the default visibility (PUBLIC: exportTo as written)', () => {
    const snap = world(meshWith('NAMESPACE'), { tier: 'open' });
    expect(clusters(snap, OTHER)).to.include.members([WEB, API]);
    expect(clusters(snap, SAME)).to.include(WEB).and.not.include(API);
  });

  it('NONE: configured nowhere, sidecars of its own namespace and gateways included', () => {
    const snap = world(meshWith('NONE'));
    for (const id of [SAME, OTHER]) {
      expect(clusters(snap, id)).to.not.include.members([WEB]);
      expect(clusters(snap, id)).to.not.include(API);
      expect(routeText(snap, id)).to.not.include('web.example.com');
    }
    expect(gatewayClusters(snap)).to.not.include(WEB);
    expect(snap.services.has('web.example.com')).to.equal(false);
    expect(snap.endpoints.has('web.example.com')).to.equal(false);
    for (const t of [TypeUrls.cluster, TypeUrls.listener, TypeUrls.route]) expectValid(t, generate(snap, GW, t));
  });

  it('NONE takes no host from a later definition that stays visible', () => {
    const later = yamlObjects(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: web-shared, namespace: other, creationTimestamp: "2025-01-01T00:00:00Z" }
spec: { hosts: [web.example.com], ports: [{ number: 80, name: http, protocol: HTTP }], resolution: DNS }
`);
    const snap = world(meshWith('NONE'), RESTRICTED, later);
    expect(snap.services.get('web.example.com')?.namespace).to.equal('other');
    expect(clusters(snap, SAME)).to.include(WEB);
    expect(gatewayClusters(snap)).to.include(WEB);
  });

  it('an exportTo of ~ alone stays as written under NAMESPACE', () => {
    const hidden = yamlObjects(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: hidden, namespace: default }
spec: { hosts: [hidden.example.com], exportTo: ['~'], ports: [{ number: 80, name: http, protocol: HTTP }], resolution: DNS }
`);
    const snap = world(meshWith('NAMESPACE'), RESTRICTED, hidden);
    expect(snap.services.get('hidden.example.com')?.exportTo).to.deep.equal(['~']);
    expect(clusters(snap, SAME)).to.not.include('outbound|80||hidden.example.com');
  });

  it("the mesh's defaultServiceExportTo is what NAMESPACE narrows when the entry says no exportTo", () => {
    // Default ["other"]: the entry never reached its own namespace, so NAMESPACE leaves it nowhere.
    const snap = world(meshWith('NAMESPACE', 'PUBLIC', { defaultServiceExportTo: ['other'] }));
    expect(snap.services.has('web.example.com')).to.equal(false);
    const dot = world(meshWith('NAMESPACE', 'PUBLIC', { defaultServiceExportTo: ['.'] }));
    expect(clusters(dot, SAME)).to.include(WEB);
  });

  it('Kubernetes Services are never affected, even by a default of NONE', () => {
    const snap = world(meshWith('NONE', 'NONE'));
    expect(clusters(snap, OTHER)).to.include(REVIEWS);
    expect(clusters(snap, OTHER)).to.not.include(WEB);
  });

  it('without applyToSidecars the policies change nothing (ambient only), with a warning naming the field', () => {
    const mesh = { serviceEntryVisibility: { defaultVisibility: 'NONE' } };
    const r = resolveMeshConfig(mesh);
    expect(r.ok && r.warnings?.some((w) => w.startsWith('serviceEntryVisibility: not applied: applyToSidecars is not true'))).to.equal(true);
    expect(clusters(world(mesh), OTHER)).to.include.members([WEB, API]);
  });

  it('a namespace relabelled re-resolves the visibility through updateSnapshot (same as a full build)', () => {
    const opts = options(meshWith('NAMESPACE'));
    const before = objectsWith({ tier: 'open' });
    const prev = buildSnapshot(before, opts);
    expect(clusters(prev, OTHER)).to.include(WEB);
    const relabelled = namespace('default', RESTRICTED);
    const after = [...before.filter((o) => !(o.kind === 'Namespace' && o.metadata.name === 'default')), relabelled];
    const next = updateSnapshot(prev, after, [objectKey(relabelled)], opts);
    expect(next).to.deep.equal(buildSnapshot(after, opts));
    expect(clusters(next, OTHER)).to.not.include(WEB);
    // And back; a Namespace object removed leaves only its name label, which the policy does not match.
    const back = updateSnapshot(next, before, [objectKey(relabelled)], opts);
    expect(clusters(back, OTHER)).to.include(WEB);
    const gone = after.filter((o) => o !== relabelled);
    const removed = updateSnapshot(next, gone, [objectKey(relabelled)], opts);
    expect(removed).to.deep.equal(buildSnapshot(gone, opts));
    expect(clusters(removed, OTHER)).to.include(WEB);
  });

  it('a label change that keeps the visibility keeps the services (no rebuild of the registry)', () => {
    const opts = options(meshWith('NAMESPACE'));
    const before = objectsWith(RESTRICTED);
    const prev = buildSnapshot(before, opts);
    const relabelled = namespace('default', { ...RESTRICTED, team: 'a' });
    const after = [...before.filter((o) => !(o.kind === 'Namespace' && o.metadata.name === 'default')), relabelled];
    const next = updateSnapshot(prev, after, [objectKey(relabelled)], opts);
    expect(next.services).to.equal(prev.services);
    expect(next).to.deep.equal(buildSnapshot(after, opts));
  });

  it('a mesh config change (as a reload hands XdsServer.setMesh) re-resolves it', () => {
    const objects = objectsWith(RESTRICTED);
    const prev = buildSnapshot(objects, options({}));
    expect(clusters(prev, OTHER)).to.include(WEB);
    const next = updateSnapshot(prev, objects, [], options(meshWith('NONE')));
    expect(clusters(next, OTHER)).to.not.include(WEB);
    expect(clusters(updateSnapshot(next, objects, [], options({})), OTHER)).to.include(WEB);
  });
});
