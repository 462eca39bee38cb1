/**
 * The bootstrap's envoy_accesslog_service cluster (ProxyConfig envoyAccessLogService): its shape, and a bootstrap
 * with it that Envoy's JSON parser and validation rules take (read as protobuf JSON, encoded, PGV-checked).
 */
import { expect } from 'chai';
import { ALS_CLUSTER, accessLogServiceCluster, type AccessLogServiceOptions } from '../../src/bootstrap/access-log-service.js';
import { envoyBootstrap, envoyBootstrapText, XDS_CLIENT_SECRET, type EnvoyBootstrapOptions } from '../../src/bootstrap/envoy.js';
import { readRemoteService, type RemoteService } from '../../src/config/remote-service.js';
import { fromEnvoyJson } from '../../src/xds/envoy-json.js';
import { decode, encode, envoyRoot } from '../../src/xds/proto.js';
import { checkPgv } from '../../src/xds/pgv.js';
import { SYSTEM_CA_BUNDLE } from '../../src/core/constants.js';

const T = 'envoy.config.bootstrap.v3.Bootstrap';
const IDENTITY = { caFile: '/etc/certs/root-cert.pem', clientSds: { path: '/etc/certs/xds-client.yaml', secret: XDS_CLIENT_SECRET } };

/** The service as the ProxyConfig reader gives it. */
function service(v: Record<string, unknown>): RemoteService & { address: string } {
  const r = readRemoteService(v);
  if (!r.ok || r.value.address === undefined) throw new Error(r.ok ? 'no address' : r.errors.join());
  return r.value as RemoteService & { address: string };
}

const BASE: EnvoyBootstrapOptions = { xdsAddress: 'mizzen.mizzen-system.svc:15010', logLevel: 'info', clusterName: 'web.default' };

/** The bootstrap with the service's cluster, checked as Envoy reads it; returns that cluster. */
function clusterIn(als: AccessLogServiceOptions): Record<string, any> {
  const doc = envoyBootstrap({ ...BASE, accessLogService: als });
  if (!doc.ok) throw new Error(doc.errors.join());
  // What Envoy parses: protobuf JSON (wrappers bare, Durations as text).
  const read = fromEnvoyJson(T, JSON.parse(JSON.stringify(doc.value)), 'bootstrap');
  expect(read.errors, JSON.stringify(read.errors)).to.deep.equal([]);
  expect(read.warnings, JSON.stringify(read.warnings)).to.deep.equal([]);
  expect(checkPgv(envoyRoot(), T, read.value)).to.deep.equal([]);
  const back = decode(T, encode(T, read.value)) as any;
  const cluster = back.static_resources.clusters.find((c: any) => c.name === ALS_CLUSTER);
  expect(cluster, 'the cluster survives the wire').to.not.equal(undefined);
  const text = envoyBootstrapText({ ...BASE, accessLogService: als });
  expect(text.ok && text.value.json).to.equal(JSON.stringify(doc.value));
  return (doc.value.static_resources as any).clusters.find((c: any) => c.name === ALS_CLUSTER);
}

const tlsOf = (c: Record<string, any>) => c.transport_socket?.typed_config;

describe('bootstrap: the envoy_accesslog_service cluster', () => {
  it('plaintext, a DNS name: STRICT_DNS with the DNS TTL respected, HTTP/2, the address as given', () => {
    const c = clusterIn({ service: service({ address: 'als.istio-system:15000' }) });
    expect(c).to.deep.equal({
      name: 'envoy_accesslog_service',
      type: 'STRICT_DNS',
      respect_dns_ttl: true,
      load_assignment: { cluster_name: 'envoy_accesslog_service', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'als.istio-system', port_value: 15000 } } } }] }] },
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } },
      },
    });
  });

  it('an IP (v4 or v6) is STATIC', () => {
    expect(clusterIn({ service: service({ address: '10.0.0.7:9000' }) })).to.deep.include({ type: 'STATIC' }).and.not.have.property('respect_dns_ttl');
    const v6 = clusterIn({ service: service({ address: '[fd00::7]:9000' }) });
    expect(v6.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).to.deep.equal({ address: 'fd00::7', port_value: 9000 });
  });

  it('tcpKeepalive: SO_KEEPALIVE with the probes and whole seconds given, bare numbers as Envoy reads its bootstrap', () => {
    const c = clusterIn({ service: service({ address: 'als:9000', tcpKeepalive: { probes: 3, time: '10s', interval: '2.5s' } }) });
    expect(c.upstream_connection_options).to.deep.equal({ tcp_keepalive: { keepalive_probes: 3, keepalive_time: 10, keepalive_interval: 2 } });
  });

  it('SIMPLE: the server checked against caCertificates and the SANs (SPIFFE ids as URIs), ALPN h2, the SNI given', () => {
    const c = clusterIn({ service: service({ address: 'als:9000', tlsSettings: { mode: 'SIMPLE', caCertificates: '/etc/als/ca.pem', caCrl: '/etc/als/crl.pem', subjectAltNames: ['als.example', 'spiffe://cluster.local/ns/x/sa/als'], sni: 'als.example' } }) });
    expect(tlsOf(c)).to.deep.equal({
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      sni: 'als.example',
      common_tls_context: {
        alpn_protocols: ['h2'],
        validation_context: {
          trusted_ca: { filename: '/etc/als/ca.pem' },
          match_typed_subject_alt_names: [
            { san_type: 'DNS', matcher: { exact: 'als.example' } },
            { san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/x/sa/als' } },
          ],
          crl: { filename: '/etc/als/crl.pem' },
        },
      },
    });
  });

  it("SIMPLE without caCertificates: the image's system CAs; insecureSkipVerify: no check at all", () => {
    expect(tlsOf(clusterIn({ service: service({ address: 'als:9000', tlsSettings: { mode: 'SIMPLE' } }) })).common_tls_context.validation_context).to.deep.equal({ trusted_ca: { filename: SYSTEM_CA_BUNDLE } });
    expect(tlsOf(clusterIn({ service: service({ address: 'als:9000', tlsSettings: { mode: 'SIMPLE', insecureSkipVerify: true } }) })).common_tls_context).to.deep.equal({ alpn_protocols: ['h2'] });
  });

  it('MUTUAL: the client certificate and key from their files too', () => {
    const c = clusterIn({ service: service({ address: 'als:9000', tlsSettings: { mode: 'MUTUAL', clientCertificate: '/etc/als/cert.pem', privateKey: '/etc/als/key.pem' } }) });
    expect(tlsOf(c).common_tls_context.tls_certificates).to.deep.equal([{ certificate_chain: { filename: '/etc/als/cert.pem' }, private_key: { filename: '/etc/als/key.pem' } }]);
    expect(tlsOf(c)).to.not.have.property('sni');
  });

  it("ISTIO_MUTUAL: the proxy's mesh certificate through its file-based SDS, the mesh CA, ALPN istio and h2, SNI the cluster's name unless given", () => {
    const c = clusterIn({ service: service({ address: 'als:9000', tlsSettings: { mode: 'ISTIO_MUTUAL', subjectAltNames: ['spiffe://cluster.local/ns/istio-system/sa/als'] } }), identity: IDENTITY });
    expect(tlsOf(c)).to.deep.equal({
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      sni: 'envoy_accesslog_service',
      common_tls_context: {
        alpn_protocols: ['istio', 'h2'],
        tls_certificate_sds_secret_configs: [{ name: XDS_CLIENT_SECRET, sds_config: { path_config_source: { path: '/etc/certs/xds-client.yaml', watched_directory: { path: '/etc/certs' } }, resource_api_version: 'V3' } }],
        validation_context: { trusted_ca: { filename: '/etc/certs/root-cert.pem' }, match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/istio-system/sa/als' } }] },
      },
    });
    const named = clusterIn({ service: service({ address: 'als:9000', tlsSettings: { mode: 'ISTIO_MUTUAL', sni: 'als.mesh' } }), identity: IDENTITY });
    expect(tlsOf(named).sni).to.equal('als.mesh');
  });

  it('ISTIO_MUTUAL without a mesh identity: no TLS (injection warns that the logs go in plaintext)', () => {
    expect(clusterIn({ service: service({ address: 'als:9000', tlsSettings: { mode: 'ISTIO_MUTUAL' } }) })).to.not.have.property('transport_socket');
  });

  it('comes after the bootstrap’s own clusters, and only when asked for', () => {
    const doc = envoyBootstrap({ ...BASE, accessLogService: { service: service({ address: 'als:9000' }) } });
    const names = (doc.ok ? (doc.value.static_resources as any).clusters : []).map((c: any) => c.name);
    expect(names).to.deep.equal(['xds-grpc', 'envoy-admin', 'envoy_accesslog_service']);
    const plain = envoyBootstrap(BASE);
    expect(plain.ok && JSON.stringify(plain.value)).to.not.contain(ALS_CLUSTER);
  });

  it('refuses to build from an address nobody checked (a bug, not input)', () => {
    expect(() => accessLogServiceCluster({ service: { address: 'no-port' } })).to.throw(/was not checked/);
  });
});

describe('bootstrap: the stats flush interval', () => {
  for (const [ms, text] of [[1500, '1.500s'], [1, '0.001s'], [10_000, '10.000s']] as const) {
    it(`${ms} ms is written as Envoy's JSON parser reads a Duration: "${text}"`, () => {
      const doc = envoyBootstrap({ ...BASE, statsFlushMs: ms });
      if (!doc.ok) throw new Error(doc.errors.join());
      expect((doc.value as any).stats_flush_interval).to.equal(text);
      const read = fromEnvoyJson(T, JSON.parse(JSON.stringify(doc.value)), 'bootstrap');
      expect(read.errors, JSON.stringify(read.errors)).to.deep.equal([]);
      expect(checkPgv(envoyRoot(), T, read.value)).to.deep.equal([]);
      const back = decode(T, encode(T, read.value)) as any;
      expect(Number(back.stats_flush_interval.seconds) * 1000 + back.stats_flush_interval.nanos / 1e6).to.equal(ms);
    });
  }
});
