/** Locality failover priorities in EDS (Envoy and gRPC), as istiod's applyLocalityFailover sets them. */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate, proxyScope } from '../../../src/xds/gen/index.js';
import { applyLocality, localityMatches, localityPlan, type Failover } from '../../../src/xds/gen/locality.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { PRODUCTPAGE, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

/** The priority applyLocality gives a group at each of `localities` (`region/zone/subzone`) for a proxy at `proxy`. */
function localityPriorities(proxy: string, localities: string[], failover: Failover): Map<string, number> {
  const group = (l: string) => {
    const [region, zone, sub_zone] = l.split('/');
    return { locality: { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(sub_zone ? { sub_zone } : {}) }, lb_endpoints: [] };
  };
  const out = applyLocality({ cluster_name: 'c', endpoints: localities.map(group) }, { locality: proxy, labels: {} }, { failover });
  return new Map(localities.map((l, i) => [l, out.endpoints[i].priority ?? 0]));
}

describe('locality failover', () => {
  it('priorities by nearness: sub-zone 0, zone 1, region 2, elsewhere 3, renumbered without gaps', () => {
    const p = localityPriorities('r1/z1/s1', ['r1/z1/s1', 'r1/z1/s2', 'r1/z2/s1', 'r2/z1/s1', ''], []);
    expect(Object.fromEntries(p)).to.deep.equal({ 'r1/z1/s1': 0, 'r1/z1/s2': 1, 'r1/z2/s1': 2, 'r2/z1/s1': 3, '': 3 });
    expect(Object.fromEntries(localityPriorities('r1/z1', ['r1/z1/', 'r2/z9/'], []))).to.deep.equal({ 'r1/z1/': 0, 'r2/z9/': 1 });
    // failover: from the proxy's region to the one named; other regions after it.
    const f = localityPriorities('r1/z1', ['r1/z1', 'r2/z1', 'r3/z1'], [{ from: 'r1', to: 'r3' }]);
    expect(Object.fromEntries(f)).to.deep.equal({ 'r1/z1': 0, 'r3/z1': 1, 'r2/z1': 2 });
  });

  it("the plan: the rule's localityLbSetting, else the mesh config's (enabled by default); distribute always, failover only with outlier detection", () => {
    expect(localityPlan({}, undefined)).to.equal(undefined);
    expect(localityPlan({ outlierDetection: {} }, undefined)).to.deep.equal({ failover: [] });
    expect(localityPlan({ outlierDetection: {} }, { enabled: false })).to.equal(undefined);
    expect(localityPlan({ outlierDetection: {}, loadBalancer: { localityLbSetting: { enabled: false } } }, undefined)).to.equal(undefined);
    expect(localityPlan({}, { distribute: [{ from: 'a/*', to: { 'a/*': 80, 'b/*': 20 } }] })).to.deep.equal({ distribute: [{ from: 'a/*', to: [['a/*', 80], ['b/*', 20]] }] });
    expect(localityPlan({ outlierDetection: {}, loadBalancer: { localityLbSetting: { failover: [{ from: 'a', to: 'b' }, { from: 1 }] } } }, { distribute: [{ from: '*', to: { '*': 100 } }] })).to.deep.equal({ failover: [{ from: 'a', to: 'b' }] });
  });

  it('distribute: the localities each pattern names share its weight by their own weights; the rest get no traffic', () => {
    expect([localityMatches('r1/z1/s1', 'r1/*'), localityMatches('r1/z1/s1', 'r1/z1'), localityMatches('r1/z1/s1', 'r1/z2/*'), localityMatches('r1/z1', '*')]).to.deep.equal([true, true, false, true]);
    const group = (zone: string, weight: number) => ({ locality: { region: 'r1', zone }, lb_endpoints: [], load_balancing_weight: { value: weight } });
    const la = { cluster_name: 'c', endpoints: [group('z1', 2), group('z2', 1), group('z3', 3), { locality: { region: 'r2' }, lb_endpoints: [], load_balancing_weight: { value: 1 } }] };
    const out = applyLocality(la, { locality: 'r1/z1', labels: {} }, { distribute: [{ from: 'r9/*', to: [['*', 100]] }, { from: 'r1/z1/*', to: [['r1/z1/*', 80], ['r1/*', 20]] }] });
    expect(out.endpoints.map((g: any) => [g.locality.zone ?? g.locality.region, g.load_balancing_weight.value])).to.deep.equal([['z1', 80], ['z2', 5], ['z3', 15]]);
    expect(applyLocality(la, { locality: 'r3/z1', labels: {} }, { distribute: [{ from: 'r1/*', to: [['r1/*', 100]] }] }), 'no rule for the proxy: as it was').to.equal(la);
  });

  // Bookinfo's pods: reviews v1 and v3 in eu-west1-a, v2 in eu-west1-b, productpage in eu-west1-a; one more in r2.
  const ZONED = `
apiVersion: v1
kind: Pod
metadata: { name: reviews-far, labels: { app: reviews, version: v4, topology.kubernetes.io/region: r2, topology.kubernetes.io/zone: r2-a } }
spec: { containers: [{ name: reviews, image: x }] }
status: { phase: Running, podIP: 10.244.9.9, conditions: [{ type: Ready, status: "True" }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec: { host: reviews, trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 } } }`;

  it("Envoy EDS: each locality's priority from the proxy's locality (its node's, else its endpoint's); such proxies get their own scope", () => {
    const snap = buildSnapshot([...bookinfo(), ...yamlObjects(ZONED)]);
    const eds = (node: ReturnType<typeof proxy>, cluster = 'outbound|9080||reviews.default.svc.cluster.local') => {
      const out = generate(snap, node, TypeUrls.endpoint);
      expectValid(TypeUrls.endpoint, out);
      return Object.fromEntries(byName(out, cluster).endpoints.map((g: any) => [g.locality.zone ?? '', g.priority ?? 0]));
    };
    // productpage's own endpoint is in eu-west1-a.
    expect(eds(proxy(PRODUCTPAGE))).to.deep.equal({ 'eu-west1-a': 0, 'eu-west1-b': 1, 'r2-a': 2 });
    expect(eds(Object.assign(proxy(PRODUCTPAGE), { locality: 'eu-west1/eu-west1-b' })), 'the node says').to.deep.equal({ 'eu-west1-a': 1, 'eu-west1-b': 0, 'r2-a': 2 });
    const nowhere = proxy('sidecar~10.9.9.9~job-x.default~default.svc.cluster.local');
    expect(eds(nowhere), 'no locality known: no priorities').to.deep.equal({ 'eu-west1-a': 0, 'eu-west1-b': 0, 'r2-a': 0 });
    expect(Object.values(eds(proxy(PRODUCTPAGE), 'outbound|9080||ratings.default.svc.cluster.local')), 'no outlier detection there').to.deep.equal([0]);
    expect(proxyScope(snap, Object.assign(proxy(PRODUCTPAGE), { locality: 'eu-west1/eu-west1-b' }))).to.not.equal(proxyScope(snap, proxy(PRODUCTPAGE)));
  });
});
