/**
 * The mesh config's defaultServiceExportTo, defaultVirtualServiceExportTo and defaultDestinationRuleExportTo, as
 * istiod applies them: where Services (and ServiceEntries), VirtualServices and DestinationRules that set no exportTo
 * are visible. One that sets its own keeps it.
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { bookinfo, byName, proxy, yamlObjects } from './helpers.js';

/** A sleep pod in namespace `other`, outside Bookinfo's `default`. */
const OTHER = 'sidecar~10.244.9.9~sleep-1.other~other.svc.cluster.local';
const SAME = 'sidecar~10.244.0.11~productpage-v1-7d6cfb7dfd-abcde.default~default.svc.cluster.local';

const extra = yamlObjects(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: default }
spec: { hosts: [reviews], http: [{ route: [{ destination: { host: reviews, subset: v2 } }] }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: default }
spec: { host: reviews, subsets: [{ name: v2, labels: { version: v2 } }], trafficPolicy: { loadBalancer: { simple: RANDOM } } }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: api, namespace: default }
spec: { hosts: [api.example.com], ports: [{ number: 443, name: tls, protocol: TLS }], resolution: DNS }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: public, namespace: default }
spec: { hosts: [public.example.com], exportTo: ['*'], ports: [{ number: 443, name: tls, protocol: TLS }], resolution: DNS }
`);

function world(mesh: Record<string, unknown>, objects: KubeObject[] = extra) {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return buildSnapshot([...bookinfo(), ...objects], snapshotOptions(r.value));
}
const clusters = (snap: ReturnType<typeof world>, id: string) => generate(snap, proxy(id), TypeUrls.cluster).map((c) => c.name);

describe("mesh config: Istio's default*ExportTo", () => {
  it('unset: everything visible everywhere, as before', () => {
    const names = clusters(world({}), OTHER);
    expect(names).to.include.members(['outbound|9080||reviews.default.svc.cluster.local', 'outbound|443||api.example.com', 'outbound|9080|v2|reviews.default.svc.cluster.local']);
  });

  it('defaultServiceExportTo ["."]: Services and ServiceEntries without exportTo stay in their namespace; one that says * does not', () => {
    const snap = world({ defaultServiceExportTo: ['.'] });
    const other = clusters(snap, OTHER);
    expect(other).to.not.include('outbound|9080||reviews.default.svc.cluster.local');
    expect(other).to.not.include('outbound|443||api.example.com');
    expect(other).to.include('outbound|443||public.example.com');
    expect(clusters(snap, SAME)).to.include.members(['outbound|9080||reviews.default.svc.cluster.local', 'outbound|443||api.example.com']);
  });

  it('defaultDestinationRuleExportTo ["."]: the rule (its subsets and policy) applies in its namespace only', () => {
    const snap = world({ defaultDestinationRuleExportTo: ['.'] });
    const reviews = (id: string) => byName(generate(snap, proxy(id), TypeUrls.cluster), 'outbound|9080||reviews.default.svc.cluster.local');
    expect(reviews(SAME).lb_policy).to.equal('RANDOM');
    expect(reviews(OTHER).lb_policy).to.equal('LEAST_REQUEST');
    expect(clusters(snap, OTHER)).to.not.include('outbound|9080|v2|reviews.default.svc.cluster.local');
  });

  it('defaultVirtualServiceExportTo ["."]: the routes apply in their namespace only', () => {
    const snap = world({ defaultVirtualServiceExportTo: ['.'] });
    const route = (id: string) => JSON.stringify(byName(generate(snap, proxy(id), TypeUrls.route), '9080'));
    expect(route(SAME)).to.include('outbound|9080|v2|reviews.default.svc.cluster.local');
    expect(route(OTHER)).to.not.include('outbound|9080|v2|reviews.default.svc.cluster.local');
  });

  it('~ hides them from every namespace; bad entries are errors naming the field', () => {
    expect(clusters(world({ defaultServiceExportTo: ['~'] }), SAME)).to.not.include('outbound|9080||reviews.default.svc.cluster.local');
    const bad = resolveMeshConfig({ defaultServiceExportTo: ['Shop!', '~'], defaultVirtualServiceExportTo: 'x' });
    expect(bad.ok).to.equal(false);
    expect(!bad.ok && bad.errors).to.have.members(['defaultServiceExportTo[0]: "Shop!" must be *, ., ~ or a namespace name', 'defaultServiceExportTo: ~ (visible nowhere) cannot be combined with other entries', 'defaultVirtualServiceExportTo: must be a list']);
  });
});
