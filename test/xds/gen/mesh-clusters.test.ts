import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { DEFAULT_MESH_CONFIG, resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { PRODUCTPAGE, REVIEWS_V1, bookinfo, expectValid, proxy, yamlObjects } from './helpers.js';

/** A DestinationRule that sets its own connect timeout for ratings. */
const RATINGS_DR = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ratings }
spec: { host: ratings, trafficPolicy: { connectionPool: { tcp: { connectTimeout: 250ms } } } }`;

const clustersOf = (mesh: unknown, node = PRODUCTPAGE, extra = '') => {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join('; '));
  const snap = buildSnapshot([...bookinfo('egress-rule-google-apis.yaml'), ...yamlObjects(RATINGS_DR + extra)], snapshotOptions(r.value));
  const out = generate(snap, proxy(node), TypeUrls.cluster);
  expectValid(TypeUrls.cluster, out);
  return Object.fromEntries(out.map((c) => [c.name, c.resource as any]));
};

describe("mesh config: Istio's connectTimeout and dnsRefreshRate", () => {
  it("defaults to Istio's: 10s connect timeout, DNS clusters refreshed every 60s", () => {
    expect(DEFAULT_MESH_CONFIG).to.include({ connectTimeout: '10s', dnsRefreshRate: '60s' });
    const c = clustersOf({});
    expect(c['outbound|9080||reviews.default.svc.cluster.local'].connect_timeout).to.deep.equal({ seconds: 10, nanos: 0 });
    expect(c['outbound|443||www.googleapis.com'].dns_refresh_rate).to.deep.equal({ seconds: 60, nanos: 0 });
  });

  it('sets every cluster where no DestinationRule sets one: outbound, inbound, passthrough and blackhole', () => {
    const c = clustersOf({ connectTimeout: '1.5s', dnsRefreshRate: '5s' }, REVIEWS_V1);
    const timeouts = Object.fromEntries(Object.entries(c).map(([name, r]) => [name, r.connect_timeout]));
    for (const name of ['outbound|9080||reviews.default.svc.cluster.local', 'inbound|9080||', 'PassthroughCluster', 'InboundPassthroughCluster', 'BlackHoleCluster', 'outbound|443||www.googleapis.com']) {
      expect(timeouts[name], name).to.deep.equal({ seconds: 1, nanos: 500_000_000 });
    }
    expect(timeouts['outbound|9080||ratings.default.svc.cluster.local']).to.deep.equal({ seconds: 0, nanos: 250_000_000 });
    expect(c['outbound|443||www.googleapis.com'].dns_refresh_rate).to.deep.equal({ seconds: 5, nanos: 0 });
    // Only DNS clusters carry a refresh rate.
    expect(c['outbound|9080||reviews.default.svc.cluster.local']).to.not.have.property('dns_refresh_rate');
  });

  it('names a bad value: not a duration, out of range, finer than milliseconds', () => {
    const errors = (mesh: unknown) => {
      const r = resolveMeshConfig(mesh);
      return r.ok ? [] : r.errors;
    };
    expect(errors({ connectTimeout: 'soon' })).to.deep.equal(['connectTimeout: "soon" must be a duration like 100ms or 10s']);
    expect(errors({ connectTimeout: '0s' })).to.deep.equal(['connectTimeout: "0s" must be 1ms to 1h']);
    expect(errors({ connectTimeout: '2h' })).to.deep.equal(['connectTimeout: "2h" must be 1ms to 1h']);
    expect(errors({ connectTimeout: '1.0005s' })).to.deep.equal(['connectTimeout: "1.0005s" must be whole milliseconds']);
    expect(errors({ dnsRefreshRate: '1ms' })).to.deep.equal(['dnsRefreshRate: "1ms" must be more than 1ms']);
    expect(errors({ dnsRefreshRate: 30 })).to.deep.equal(['dnsRefreshRate: must be a string']);
  });
});
