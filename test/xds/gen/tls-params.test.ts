/**
 * TLS versions, curves and cipher suites of each TLS context (src/xds/gen/tls-params.ts), with and without the mesh
 * config's meshMTLS and tlsDefaults, as istiod sets them: sidecars' inbound mesh mTLS, clients' mesh mTLS, Gateway
 * servers, DestinationRule TLS origination.
 */
import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { certMetadata } from '../../../src/bootstrap/envoy.js';
import { MESH_MTLS_CIPHER_SUITES } from '../../../src/xds/gen/tls-params.js';
import { GATEWAY, PRODUCTPAGE, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const CERTS = certMetadata('/etc/certs');
const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';
const CLIENT_VERSIONS = { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' };

/** A mesh config that sets both, each with something the other must not take. */
const BOTH = {
  meshMTLS: { minProtocolVersion: 'TLSV1_3', cipherSuites: ['ECDHE-RSA-AES256-GCM-SHA384'] },
  tlsDefaults: { minProtocolVersion: 'TLSV1_3', ecdhCurves: ['P-384', 'X25519'], cipherSuites: ['ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305'] },
};

function snapshot(mesh: Record<string, unknown>, yaml = '') {
  const m = resolveMeshConfig(mesh);
  if (!m.ok) throw new Error(m.errors.join());
  return buildSnapshot([...bookinfo(), ...(yaml ? yamlObjects(yaml) : [])], snapshotOptions(m.value));
}

function resources(snap: ReturnType<typeof snapshot>, node: string, type: string, metadata: Record<string, unknown>) {
  const rs = generate(snap, proxy(node, metadata), type);
  expectValid(type, rs);
  return rs;
}

const paramsOf = (socket: any) => socket.typed_config.common_tls_context.tls_params;

/** The TLS parameters of a sidecar's inbound mTLS chain on 9080 (reviews' port). */
function inboundParams(mesh: Record<string, unknown>) {
  const vi = byName(resources(snapshot(mesh), REVIEWS_V1, TypeUrls.listener, CERTS), 'virtualInbound');
  const secured = vi.filter_chains.filter((c: any) => c.filter_chain_match?.destination_port?.value === 9080 && c.transport_socket);
  expect(secured.length, 'mTLS chains on 9080').to.be.greaterThan(0);
  const all = secured.map((c: any) => paramsOf(c.transport_socket));
  for (const p of all) expect(p).to.deep.equal(all[0]);
  return all[0];
}

/** The TLS parameters of productpage's auto mTLS to reviews, and of its ISTIO_MUTUAL to ratings when `yaml` says so. */
function clientSocket(mesh: Record<string, unknown>, yaml = '', name = REVIEWS) {
  const c = byName(resources(snapshot(mesh, yaml), PRODUCTPAGE, TypeUrls.cluster, CERTS), name);
  return c.transport_socket ?? c.transport_socket_matches[0].transport_socket;
}

describe('TLS versions, curves and cipher suites, as istiod sets them (meshMTLS, tlsDefaults)', () => {
  describe("a sidecar's inbound mesh mTLS", () => {
    it("without meshMTLS: TLS 1.2 to 1.3 and Istio's six cipher suites, Envoy's curves", () => {
      expect(inboundParams({})).to.deep.equal({ tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3', cipher_suites: [...MESH_MTLS_CIPHER_SUITES] });
      expect(MESH_MTLS_CIPHER_SUITES).to.deep.equal(['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-GCM-SHA256']);
    });

    it("meshMTLS's minimum version and cipher suites replace them; tlsDefaults does not reach it", () => {
      expect(inboundParams(BOTH)).to.deep.equal({ tls_minimum_protocol_version: 'TLSv1_3', tls_maximum_protocol_version: 'TLSv1_3', cipher_suites: ['ECDHE-RSA-AES256-GCM-SHA384'] });
      expect(inboundParams({ tlsDefaults: BOTH.tlsDefaults })).to.deep.equal(inboundParams({}));
    });

    it('TLSV1_2 and TLS_AUTO both mean TLS 1.2; cipher suites alone keep the minimum', () => {
      expect(inboundParams({ meshMTLS: { minProtocolVersion: 'TLSV1_2' } })).to.deep.equal(inboundParams({}));
      expect(inboundParams({ meshMTLS: { minProtocolVersion: 'TLS_AUTO' } })).to.deep.equal(inboundParams({}));
      expect(inboundParams({ meshMTLS: { cipherSuites: ['AES128-GCM-SHA256'] } })).to.deep.include({ tls_minimum_protocol_version: 'TLSv1_2', cipher_suites: ['AES128-GCM-SHA256'] });
    });
  });

  describe("a client's mesh mTLS (auto mTLS, ISTIO_MUTUAL)", () => {
    const RATINGS_MUTUAL = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ratings }
spec: { host: ratings, trafficPolicy: { tls: { mode: ISTIO_MUTUAL } } }`;
    const RATINGS = 'outbound|9080||ratings.default.svc.cluster.local';

    it('TLS 1.2 to 1.3, so that a server asking for 1.3 is reached; neither setting changes it', () => {
      for (const mesh of [{}, BOTH]) {
        expect(paramsOf(clientSocket(mesh)), 'auto mTLS').to.deep.equal(CLIENT_VERSIONS);
        const mutual = clientSocket(mesh, RATINGS_MUTUAL, RATINGS);
        expect(mutual.typed_config.sni, 'ISTIO_MUTUAL').to.equal('outbound_.9080_._.ratings.default.svc.cluster.local');
        expect(paramsOf(mutual)).to.deep.equal(CLIENT_VERSIONS);
      }
    });
  });

  describe('DestinationRule TLS origination (SIMPLE, MUTUAL)', () => {
    const rule = (tls: string) => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec: { host: reviews, trafficPolicy: { tls: ${tls} } }`;
    const SIMPLE = rule('{ mode: SIMPLE, caCertificates: /etc/ca/ca.pem }');
    const MUTUAL = rule('{ mode: MUTUAL, clientCertificate: /etc/c/cert.pem, privateKey: /etc/c/key.pem, caCertificates: /etc/ca/ca.pem }');
    const params = (mesh: Record<string, unknown>, yaml: string, metadata: Record<string, unknown> = {}) =>
      paramsOf(byName(resources(snapshot(mesh, yaml), PRODUCTPAGE, TypeUrls.cluster, metadata), REVIEWS).transport_socket);

    it('without tlsDefaults: TLS 1.2 to 1.3, Envoy\'s curves and cipher suites', () => {
      expect(params({}, SIMPLE)).to.deep.equal(CLIENT_VERSIONS);
      expect(params({}, MUTUAL)).to.deep.equal(CLIENT_VERSIONS);
    });

    it("tlsDefaults' curves and cipher suites; its minimum version is the servers' alone, meshMTLS not at all", () => {
      const want = { ...CLIENT_VERSIONS, ecdh_curves: ['P-384', 'X25519'], cipher_suites: ['ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305'] };
      expect(params(BOTH, SIMPLE)).to.deep.equal(want);
      expect(params(BOTH, MUTUAL)).to.deep.equal(want);
      // A sidecar with mesh certificates originates the same way.
      expect(params(BOTH, SIMPLE, CERTS)).to.deep.equal(want);
      expect(params({ meshMTLS: BOTH.meshMTLS }, SIMPLE)).to.deep.equal(CLIENT_VERSIONS);
    });
  });

  describe('Gateway servers', () => {
    const gateway = (tls: string) => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 443, name: https, protocol: HTTPS }, hosts: [bookinfo.example.com], tls: ${tls} }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: bookinfo, namespace: istio-system }
spec: { hosts: [bookinfo.example.com], gateways: [gw], http: [{ route: [{ destination: { host: productpage.default.svc.cluster.local } }] }] }`;
    const SIMPLE = '{ mode: SIMPLE, serverCertificate: /etc/gw/tls.crt, privateKey: /etc/gw/tls.key';
    const params = (mesh: Record<string, unknown>, tls: string, metadata: Record<string, unknown> = {}) => {
      const listener = byName(resources(snapshot(mesh, gateway(tls)), GATEWAY, TypeUrls.listener, { LABELS: { istio: 'ingressgateway' }, ...metadata }), '0.0.0.0_8443'); // the Service's targetPort of 443
      const [chain] = listener.filter_chains;
      return paramsOf(chain.transport_socket);
    };

    it("without settings: none (Envoy's defaults)", () => {
      expect(params({}, `${SIMPLE} }`)).to.equal(undefined);
      expect(params({ meshMTLS: BOTH.meshMTLS }, `${SIMPLE} }`), 'meshMTLS does not reach them').to.equal(undefined);
    });

    it("tlsDefaults' curves, cipher suites and minimum version (SIMPLE, MUTUAL, OPTIONAL_MUTUAL)", () => {
      const want = { tls_minimum_protocol_version: 'TLSv1_3', ecdh_curves: ['P-384', 'X25519'], cipher_suites: ['ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305'] };
      expect(params(BOTH, `${SIMPLE} }`)).to.deep.equal(want);
      for (const mode of ['MUTUAL', 'OPTIONAL_MUTUAL']) {
        expect(params(BOTH, `{ mode: ${mode}, serverCertificate: /etc/gw/tls.crt, privateKey: /etc/gw/tls.key, caCertificates: /etc/gw/ca.crt }`), mode).to.deep.equal(want);
      }
      expect(params({ tlsDefaults: { minProtocolVersion: 'TLSV1_2' } }, `${SIMPLE} }`)).to.deep.equal({ tls_minimum_protocol_version: 'TLSv1_2' });
    });

    it("the server's own settings win, each on its own", () => {
      expect(params(BOTH, `${SIMPLE}, minProtocolVersion: TLSV1_2, maxProtocolVersion: TLSV1_2 }`)).to.deep.equal({
        tls_minimum_protocol_version: 'TLSv1_2',
        tls_maximum_protocol_version: 'TLSv1_2',
        ecdh_curves: ['P-384', 'X25519'],
        cipher_suites: ['ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305'],
      });
      expect(params(BOTH, `${SIMPLE}, ecdhCurves: [P-256], cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256] }`)).to.deep.equal({
        tls_minimum_protocol_version: 'TLSv1_3',
        ecdh_curves: ['P-256'],
        cipher_suites: ['ECDHE-RSA-AES128-GCM-SHA256'],
      });
    });

    it("a server's own curves or cipher suites that Envoy does not know count as none: tlsDefaults' apply", () => {
      expect(params(BOTH, `${SIMPLE}, cipherSuites: [NOT-A-CIPHER], ecdhCurves: [P-999] }`)).to.deep.include({
        ecdh_curves: ['P-384', 'X25519'],
        cipher_suites: ['ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305'],
      });
    });

    it("ISTIO_MUTUAL: the gateway's mesh certificates with Envoy's defaults, whatever the mesh config says", () => {
      const listener = byName(resources(snapshot(BOTH, gateway('{ mode: ISTIO_MUTUAL }')), GATEWAY, TypeUrls.listener, { LABELS: { istio: 'ingressgateway' }, ...CERTS }), '0.0.0.0_8443');
      const ctx = listener.filter_chains[0].transport_socket.typed_config;
      expect(ctx.common_tls_context.tls_certificate_sds_secret_configs[0].name).to.equal('file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem');
      expect(ctx.common_tls_context.tls_params).to.equal(undefined);
    });
  });
});
