/**
 * Gateway servers of protocol TLS that terminate TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL with files or credentialName,
 * ISTIO_MUTUAL with the gateway's mesh certificates, or its mesh certificate named `builtin://`) and then carry the
 * bytes by the tcp routes bound to them.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { certMetadata } from '../../../src/bootstrap/envoy.js';
import { GATEWAY, MYSQL_SERVICE, expectValid, proxy, yamlObjects } from './helpers.js';

const gateway = (tls: Record<string, unknown>, hosts = ['db.example.com']): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name: 'db', namespace: 'istio-system' },
  spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 9443, name: 'tls-db', protocol: 'TLS' }, hosts, tls }] },
});
const tcpRoute: KubeObject = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'db', namespace: 'istio-system' },
  spec: { hosts: ['db.example.com'], gateways: ['db'], tcp: [{ match: [{ port: 9443 }], route: [{ destination: { host: 'mysql.default.svc.cluster.local', port: { number: 3306 } } }] }] },
};
const ingress = (meta: Record<string, unknown> = {}) => proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' }, ...meta });
const chainsOf = (objs: KubeObject[], p = ingress()): any[] => {
  const listeners = generate(buildSnapshot([...yamlObjects(MYSQL_SERVICE), ...objs]), p, TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  return listeners.filter((l) => l.name === '0.0.0.0_9443').flatMap((l) => l.resource.filter_chains as any[]);
};

describe('gateway: TLS servers terminated, then tcp routes', () => {
  it('SIMPLE with a credentialName: the SNI chain terminates with the Secret, offers no ALPN, and tcp_proxies to the route', () => {
    const [chain, ...rest] = chainsOf([gateway({ mode: 'SIMPLE', credentialName: 'db-cert' }), tcpRoute]);
    expect(rest).to.deep.equal([]);
    expect(chain.filter_chain_match).to.deep.equal({ server_names: ['db.example.com'], transport_protocol: 'tls' });
    const ctx = chain.transport_socket.typed_config;
    expect(ctx.common_tls_context).to.deep.equal({ tls_certificate_sds_secret_configs: [{ name: 'kubernetes://db-cert', sds_config: { ads: {}, resource_api_version: 'V3' } }] });
    expect(chain.filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.network.tcp_proxy']);
    expect(chain.filters[0].typed_config.cluster).to.equal('outbound|3306||mysql.default.svc.cluster.local');
  });

  it('MUTUAL with files checks clients against the CA file', () => {
    const [chain] = chainsOf([gateway({ mode: 'MUTUAL', serverCertificate: '/etc/db/tls.crt', privateKey: '/etc/db/tls.key', caCertificates: '/etc/db/ca.crt' }), tcpRoute]);
    const ctx = chain.transport_socket.typed_config;
    expect(ctx.require_client_certificate).to.deep.equal({ value: true });
    expect(ctx.common_tls_context.validation_context.trusted_ca).to.deep.equal({ filename: '/etc/db/ca.crt' });
    expect(chain.filters[0].name).to.equal('envoy.filters.network.tcp_proxy');
  });

  it("the server's versions, ECDH curves and cipher suites; one Envoy does not know, or a repeated one, is left out (validation warns)", () => {
    const params = (extra: Record<string, unknown>) => chainsOf([gateway({ mode: 'SIMPLE', credentialName: 'db-cert', ...extra }), tcpRoute])[0].transport_socket.typed_config.common_tls_context.tls_params;
    expect(params({})).to.equal(undefined);
    expect(params({ minProtocolVersion: 'TLSV1_3', ecdhCurves: ['P-256', 'X25519'], cipherSuites: ['ECDHE-RSA-AES128-GCM-SHA256', '!aNULL'] })).to.deep.equal({
      tls_minimum_protocol_version: 'TLSv1_3',
      ecdh_curves: ['P-256', 'X25519'],
      cipher_suites: ['ECDHE-RSA-AES128-GCM-SHA256', '!aNULL'],
    });
    expect(params({ ecdhCurves: ['P-999', 'X25519', 'X25519', ''], cipherSuites: ['NOT-A-CIPHER', 'AES128-GCM-SHA256', 'AES128-GCM-SHA256'] })).to.deep.equal({
      ecdh_curves: ['X25519'],
      cipher_suites: ['AES128-GCM-SHA256'],
    });
    expect(params({ ecdhCurves: ['P-999'], cipherSuites: ['NOT-A-CIPHER'] })).to.equal(undefined);
  });

  it('ISTIO_MUTUAL: with the gateway mesh certificates only', () => {
    const objs = [gateway({ mode: 'ISTIO_MUTUAL' }, ['*']), tcpRoute];
    expect(chainsOf(objs), 'no mesh certificates: no chain').to.deep.equal([]);
    const [chain] = chainsOf(objs, ingress(certMetadata('/etc/certs')));
    expect(chain.transport_socket.typed_config.require_client_certificate).to.deep.equal({ value: true });
    expect(chain.filters[0].typed_config.cluster).to.equal('outbound|3306||mysql.default.svc.cluster.local');
  });

  it("ISTIO_MUTUAL as istiod writes it: any identity the mesh roots vouch for unless subjectAltNames name some; caCrl, insecureSkipVerify; Istio's ALPN for TLS", () => {
    const ctxOf = (tls: Record<string, unknown>) => chainsOf([gateway({ mode: 'ISTIO_MUTUAL', ...tls }, ['*']), tcpRoute], ingress(certMetadata('/etc/certs')))[0].transport_socket.typed_config;
    const plain = ctxOf({}).common_tls_context;
    expect(plain.combined_validation_context).to.deep.equal({
      default_validation_context: {},
      validation_context_sds_secret_config: { name: 'file-root:/etc/certs/root-cert.pem', sds_config: { ads: {}, resource_api_version: 'V3' } },
    });
    expect(plain.alpn_protocols).to.deep.equal(['istio-peer-exchange', 'h2', 'http/1.1']);
    expect(plain.tls_params, "Envoy's defaults: tlsDefaults are for SIMPLE and MUTUAL servers").to.equal(undefined);
    const pinned = ctxOf({ subjectAltNames: ['spiffe://cluster.local/ns/shop/sa/client', 'client.shop.example'], caCrl: '/etc/certs/crl.pem', insecureSkipVerify: true });
    expect(pinned.common_tls_context.combined_validation_context.default_validation_context).to.deep.equal({
      match_typed_subject_alt_names: [
        { san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/shop/sa/client' } },
        { san_type: 'DNS', matcher: { exact: 'client.shop.example' } },
      ],
      crl: { filename: '/etc/certs/crl.pem' },
      trust_chain_verification: 'ACCEPT_UNTRUSTED',
    });
    expect(pinned.require_client_certificate).to.deep.equal({ value: true });
  });

  it("credentialName builtin://: the gateway's own mesh certificate (SIMPLE: no client check; MUTUAL: against the mesh root), only when it has one", () => {
    const simple = [gateway({ mode: 'SIMPLE', credentialName: 'builtin://' }), tcpRoute];
    expect(chainsOf(simple), 'no mesh certificates: no chain').to.deep.equal([]);
    const meshCerts = ingress(certMetadata('/etc/certs'));
    const [chain] = chainsOf(simple, meshCerts);
    const ctx = chain.transport_socket.typed_config;
    expect(ctx.common_tls_context).to.deep.equal({ tls_certificate_sds_secret_configs: [{ name: 'file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem', sds_config: { ads: {}, resource_api_version: 'V3' } }] });
    expect(ctx.require_client_certificate).to.equal(undefined);
    expect(chain.filters[0].typed_config.cluster).to.equal('outbound|3306||mysql.default.svc.cluster.local');
    // The names the chain uses are the SDS secrets the gateway is served (its files).
    const secrets = generate(buildSnapshot([...yamlObjects(MYSQL_SERVICE), ...simple]), meshCerts, TypeUrls.secret).map((r) => r.name);
    expect(secrets).to.include.members(['file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem', 'file-root:/etc/certs/root-cert.pem']);

    const [mutual] = chainsOf([gateway({ mode: 'MUTUAL', credentialName: 'builtin://' }), tcpRoute], meshCerts);
    const m = mutual.transport_socket.typed_config;
    expect(m.require_client_certificate).to.deep.equal({ value: true });
    expect(m.common_tls_context.validation_context_sds_secret_config.name).to.equal('file-root:/etc/certs/root-cert.pem');
  });

  it('no tcp route bound to it: no chain, no listener; and never an HTTP route configuration', () => {
    expect(chainsOf([gateway({ mode: 'SIMPLE', credentialName: 'db-cert' })])).to.deep.equal([]);
    const routes = generate(buildSnapshot([...yamlObjects(MYSQL_SERVICE), gateway({ mode: 'SIMPLE', credentialName: 'db-cert' }), tcpRoute]), ingress(), TypeUrls.route);
    expect(routes.map((r) => r.name)).to.deep.equal([]);
  });
});
