import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { generate, proxyScope } from '../../../src/xds/gen/index.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { ENVOY_TYPES, GATEWAY, PRODUCTPAGE, REVIEWS_V1, SAMPLES, bookinfo, expectValid, proxy, readObjects } from './helpers.js';

/** Every Bookinfo sample, alone and all together, through every Envoy generator: encodes, passes PGV, never throws. */
describe('Envoy generators: every Bookinfo sample', () => {
  const networking = readdirSync(join(SAMPLES, 'networking')).filter((f) => f.endsWith('.yaml')).sort();
  const platform = readdirSync(join(SAMPLES, 'platform')).filter((f) => f.endsWith('.yaml')).sort();
  const nodes = [proxy(PRODUCTPAGE), proxy(REVIEWS_V1), proxy(GATEWAY)];

  for (const file of networking) {
    it(`networking/${file}`, () => {
      const snap = buildSnapshot(bookinfo(file));
      for (const p of nodes) for (const t of ENVOY_TYPES) expectValid(t, generate(snap, p, t));
    });
  }

  it('all samples and platform files at once', () => {
    const objects = [...bookinfo(...networking), ...platform.flatMap((f) => readObjects(join(SAMPLES, 'platform', f)))];
    const snap = buildSnapshot(objects);
    for (const p of nodes) for (const t of ENVOY_TYPES) expectValid(t, generate(snap, p, t));
  });

  it('the egress sample: DNS ServiceEntry cluster with inline endpoints and TLS origination on 443', () => {
    const snap = buildSnapshot(bookinfo('egress-rule-google-apis.yaml'));
    const clusters = generate(snap, proxy(PRODUCTPAGE), TypeUrls.cluster);
    const c443 = clusters.find((c) => c.name === 'outbound|443||www.googleapis.com')!.resource as any;
    expect(c443.type).to.equal('STRICT_DNS');
    // The rule's port-level entry for 443 replaces its whole policy there: ROUND_ROBIN stays on port 80.
    expect(c443.lb_policy).to.equal('LEAST_REQUEST');
    expect(c443.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).to.deep.equal({ address: 'www.googleapis.com', port_value: 443 });
    expect(c443.transport_socket.typed_config['@type']).to.contain('UpstreamTlsContext');
    const c80 = clusters.find((c) => c.name === 'outbound|80||www.googleapis.com')!.resource as any;
    expect(c80.transport_socket).to.equal(undefined);
    expect(c80.lb_policy).to.equal('ROUND_ROBIN');
    // The VirtualService moves port-80 traffic to the 443 cluster.
    const rc = generate(snap, proxy(PRODUCTPAGE), TypeUrls.route).find((r) => r.name === '80')!.resource as any;
    const vh = rc.virtual_hosts.find((v: any) => v.name === 'www.googleapis.com:80');
    expect(vh.routes[0].route.cluster).to.equal('outbound|443||www.googleapis.com');
  });

  it('proxies with the same labels and namespace share a scope; others do not', () => {
    const snap = buildSnapshot(bookinfo());
    const a = proxy('sidecar~10.244.0.16~productpage-v1-9c1a0f8e2-fghij.default~default.svc.cluster.local');
    const b = proxy('sidecar~10.244.0.99~productpage-v1-other.default~default.svc.cluster.local', { LABELS: { app: 'productpage', version: 'v1', 'security.istio.io/tlsMode': 'istio', 'topology.kubernetes.io/region': 'eu-west1', 'topology.kubernetes.io/zone': 'eu-west1-a' } });
    expect(proxyScope(snap, a)).to.equal(proxyScope(snap, b));
    expect(proxyScope(snap, a)).to.not.equal(proxyScope(snap, proxy(REVIEWS_V1)));
    expect(proxyScope(snap, a)).to.not.equal(proxyScope(snap, proxy(GATEWAY)));
    for (const t of ENVOY_TYPES) expect(generate(snap, a, t)).to.deep.equal(generate(snap, b, t));
  });
});
