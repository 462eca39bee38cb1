/**
 * BackendTLSPolicy in the Envoy config: the DestinationRule derived from a policy gives the targeted Service's
 * clusters an UpstreamTlsContext (SNI, SANs, CA) on sidecars and gateways alike; valid against Envoy's protos and
 * PGV rules. A user's own DestinationRule for the host keeps its fields, the policy fills the rest (dr-merge.ts).
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { SYSTEM_CA_BUNDLE } from '../../../src/xds/gen/policy.js';
import { GATEWAY, PRODUCTPAGE, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const OBJECTS = yamlObjects(`
apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec: { selector: { app: backend }, ports: [{ name: https, port: 8443 }, { name: http, port: 8080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: productpage, namespace: default }
spec: { selector: { app: productpage }, ports: [{ name: http, port: 9080 }] }
`);
const policy = (targetRef: Record<string, unknown>, validation: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'BackendTLSPolicy',
  metadata: { name: 'backend-tls', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: {
    targetRefs: [{ group: '', kind: 'Service', name: 'backend', ...targetRef }],
    validation: { hostname: 'backend.example.com', wellKnownCACertificates: 'System', subjectAltNames: [{ type: 'Hostname', hostname: 'backend.example.com' }, { type: 'URI', uri: 'spiffe://example.com/backend' }], ...validation },
  },
});
const SIDECAR = () => proxy(PRODUCTPAGE, { LABELS: { app: 'productpage' } });
const INGRESS = () => proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' } });
const clusters = (objects: KubeObject[], p = SIDECAR()) => {
  const cds = generate(buildSnapshot([...OBJECTS, ...objects]), p, TypeUrls.cluster);
  expectValid(TypeUrls.cluster, cds);
  return cds;
};
const HTTPS = 'outbound|8443||backend.default.svc.cluster.local';
const HTTP = 'outbound|8080||backend.default.svc.cluster.local';
const SANS = [
  { san_type: 'DNS', matcher: { exact: 'backend.example.com' } },
  { san_type: 'URI', matcher: { exact: 'spiffe://example.com/backend' } },
];

describe('BackendTLSPolicy → Envoy clusters', () => {
  for (const [who, p] of [['a sidecar', SIDECAR], ['a gateway', INGRESS]] as const) {
    it(`${who}: the targeted Service's clusters originate TLS with the SNI, the SANs and the system CAs`, () => {
      const cds = clusters([policy({})], p());
      for (const name of [HTTPS, HTTP]) {
        const ts = byName(cds, name).transport_socket;
        expect(ts.name).to.equal('envoy.transport_sockets.tls');
        expect(ts.typed_config['@type']).to.equal('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
        expect(ts.typed_config.sni).to.equal('backend.example.com');
        expect(ts.typed_config.common_tls_context.validation_context).to.deep.equal({ trusted_ca: { filename: SYSTEM_CA_BUNDLE }, match_typed_subject_alt_names: SANS });
      }
      expect(byName(cds, 'outbound|9080||productpage.default.svc.cluster.local').transport_socket, 'another Service is untouched').to.equal(undefined);
    });
  }

  it('a sectionName: only that port originates TLS', () => {
    const cds = clusters([policy({ sectionName: 'https' })]);
    expect(byName(cds, HTTPS).transport_socket.typed_config.sni).to.equal('backend.example.com');
    expect(byName(cds, HTTP).transport_socket).to.equal(undefined);
  });

  it('a policy on a missing Service or of a wrong kind changes nothing', () => {
    const none = clusters([]);
    for (const ref of [{ name: 'nope' }, { kind: 'Deployment', group: 'apps' }]) expect(clusters([policy(ref)])).to.deep.equal(none);
  });

  it('a CA reference that does not resolve blocks the traffic: the CA is asked of SDS under a name never served, even by a sidecar', () => {
    const cds = clusters([policy({}, { wellKnownCACertificates: undefined, caCertificateRefs: [{ group: '', kind: 'Secret', name: 'ca' }] })]);
    const ctx = byName(cds, HTTPS).transport_socket.typed_config.common_tls_context;
    expect(ctx.validation_context).to.equal(undefined);
    expect(ctx.combined_validation_context.validation_context_sds_secret_config.name).to.equal('invalid://');
    expect(ctx.combined_validation_context.default_validation_context).to.deep.equal({ match_typed_subject_alt_names: SANS });
  });

  it("a user's DestinationRule for the host keeps its own fields, whichever is older; the policy fills the tls it leaves unset", () => {
    const user = (trafficPolicy: Record<string, unknown>, created: string): KubeObject => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'mine', namespace: 'default', creationTimestamp: created },
      spec: { host: 'backend.default.svc.cluster.local', trafficPolicy, subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
    });
    for (const created of ['2025-01-01T00:00:00Z', '2027-01-01T00:00:00Z']) {
      const lb = clusters([policy({}), user({ loadBalancer: { simple: 'ROUND_ROBIN' } }, created)]);
      expect(byName(lb, HTTPS).lb_policy).to.equal('ROUND_ROBIN');
      expect(byName(lb, HTTPS).transport_socket.typed_config.sni, `user rule created ${created}`).to.equal('backend.example.com');
      expect(byName(lb, 'outbound|8443|v1|backend.default.svc.cluster.local').transport_socket.typed_config.sni).to.equal('backend.example.com');
      const own = clusters([policy({}), user({ tls: { mode: 'SIMPLE', sni: 'mine.example.com' } }, created)]);
      expect(byName(own, HTTPS).transport_socket.typed_config.sni, `user rule created ${created}`).to.equal('mine.example.com');
    }
  });
});
