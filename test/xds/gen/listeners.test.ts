import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { GATEWAY, MYSQL_SERVICE, PRODUCTPAGE, REVIEWS_GRPC_SERVICE, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

function generated(yaml: string, node: string, ...samples: string[]) {
  const snap = buildSnapshot([...bookinfo(...samples), ...yamlObjects(yaml)]);
  const listeners = generate(snap, proxy(node), TypeUrls.listener);
  const routes = generate(snap, proxy(node), TypeUrls.route);
  expectValid(TypeUrls.listener, listeners);
  expectValid(TypeUrls.route, routes);
  expectValid(TypeUrls.cluster, generate(snap, proxy(node), TypeUrls.cluster));
  return { listeners, routes };
}

const filterOf = (chain: any): any => chain.filters[0].typed_config;

describe('Envoy LDS for sidecars', () => {
  it('virtual outbound, per-port HTTP listeners with RDS, virtual inbound with a chain per inbound port', () => {
    const { listeners } = generated('', REVIEWS_V1);
    expect(listeners.map((l) => l.name)).to.deep.equal(['virtualOutbound', '0.0.0.0_80', '0.0.0.0_9080', '10.96.0.100_15021', '10.96.0.100_443', 'virtualInbound']);
    const vo = byName(listeners, 'virtualOutbound');
    expect(vo.use_original_dst).to.deep.equal({ value: true });
    expect(vo.address.socket_address.port_value).to.equal(15001);
    expect(filterOf(vo.filter_chains[0]).cluster).to.equal('PassthroughCluster');
    const http = byName(listeners, '0.0.0.0_9080');
    expect(http.bind_to_port).to.deep.equal({ value: false });
    const hcm = filterOf(http.filter_chains[0]);
    expect(hcm.rds.route_config_name).to.equal('9080');
    expect(hcm.http_filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
    const vi = byName(listeners, 'virtualInbound');
    expect(vi.address.socket_address.port_value).to.equal(15006);
    expect(vi.listener_filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.listener.original_dst']);
    expect(vi.filter_chains.map((c: any) => c.name)).to.deep.equal(['virtualInbound-blackhole', 'inbound|9080||', 'virtualInbound-catchall-tcp']);
    const inboundHcm = filterOf(vi.filter_chains[1]);
    expect(inboundHcm.route_config.virtual_hosts[0].routes[0].route.cluster).to.equal('inbound|9080||');
  });

  it('inbound routes retry requests reset before reaching the app, except on gRPC ports', () => {
    const { listeners } = generated(
      REVIEWS_GRPC_SERVICE,
      REVIEWS_V1,
    );
    const chains = byName(listeners, 'virtualInbound').filter_chains;
    const route = (name: string): any => filterOf(chains.find((c: any) => c.name === name)).route_config.virtual_hosts[0].routes[0].route;
    expect(route('inbound|9080||').retry_policy).to.deep.equal({ retry_on: 'reset-before-request', num_retries: { value: 2 } });
    expect(route('inbound|9090||').retry_policy).to.equal(undefined);
  });

  it('every HTTP connection manager (outbound, inbound, gateway) turns the stream idle timeout off, as istiod', () => {
    const hcms = [...generated('', REVIEWS_V1).listeners, ...generated('', GATEWAY, 'bookinfo-gateway.yaml').listeners]
      .flatMap((l) => l.resource.filter_chains)
      .map(filterOf)
      .filter((f: any) => f['@type'].endsWith('HttpConnectionManager'));
    // Outbound 80 and 9080, the sniffed status port 15021 of the ingress gateway's Service, inbound 9080, the gateway's.
    expect(hcms).to.have.length(5);
    for (const h of hcms) expect(h.stream_idle_timeout, h.stat_prefix).to.deep.equal({ seconds: 0, nanos: 0 });
  });

  it('tcp_proxy takes idleTimeout and maxConnectionDuration from the top-level tcp pool of the destination’s rule; the TCP cluster too', () => {
    const yaml = `${MYSQL_SERVICE}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: mysql }
spec:
  host: mysql
  trafficPolicy: { connectionPool: { tcp: { idleTimeout: 2h, maxConnectionDuration: 24h } } }`;
    const tcp = filterOf(byName(generated(yaml, PRODUCTPAGE).listeners, '10.96.5.5_3306').filter_chains[0]);
    expect([tcp.cluster, tcp.idle_timeout, tcp.max_downstream_connection_duration]).to.deep.equal(['outbound|3306||mysql.default.svc.cluster.local', { seconds: 7200, nanos: 0 }, { seconds: 86400, nanos: 0 }]);
    const snap = buildSnapshot([...bookinfo(), ...yamlObjects(yaml)]);
    const cluster = byName(generate(snap, proxy(PRODUCTPAGE), TypeUrls.cluster), 'outbound|3306||mysql.default.svc.cluster.local');
    expect(cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].common_http_protocol_options).to.deep.equal({
      idle_timeout: { seconds: 7200, nanos: 0 },
      max_connection_duration: { seconds: 86400, nanos: 0 },
    });
    const plain = filterOf(byName(generated('', PRODUCTPAGE).listeners, '10.96.0.100_443').filter_chains[0]);
    expect([plain.idle_timeout, plain.max_downstream_connection_duration]).to.deep.equal([undefined, undefined]);
  });

  it('TCP services: listener per cluster IP, VirtualService tcp routes, VIP-less TLS services by SNI', () => {
    const { listeners } = generated(
      `${MYSQL_SERVICE}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: mysql }
spec:
  hosts: [mysql]
  tcp: [{ match: [{ port: 3306 }], route: [{ destination: { host: mysql, subset: a }, weight: 80 }, { destination: { host: mysql, subset: b }, weight: 20 }] }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: tls-ext }
spec: { hosts: [a.example.com, b.example.com], resolution: DNS, ports: [{ number: 8443, name: tls, protocol: TLS }] }`,
      PRODUCTPAGE,
    );
    const mysql = filterOf(byName(listeners, '10.96.5.5_3306').filter_chains[0]);
    expect(mysql.weighted_clusters.clusters).to.deep.equal([
      { name: 'outbound|3306|a|mysql.default.svc.cluster.local', weight: 80 },
      { name: 'outbound|3306|b|mysql.default.svc.cluster.local', weight: 20 },
    ]);
    const tls = byName(listeners, '0.0.0.0_8443');
    expect(tls.listener_filters.map((f: any) => f.name)).to.deep.equal(['envoy.filters.listener.tls_inspector']);
    expect(tls.filter_chains.map((c: any) => [c.filter_chain_match.server_names, filterOf(c).cluster])).to.deep.equal([
      [['a.example.com'], 'outbound|8443||a.example.com'],
      [['b.example.com'], 'outbound|8443||b.example.com'],
    ]);
  });
});

describe('Envoy LDS/RDS for gateways', () => {
  it('Bookinfo gateway: listener on the server port, routes from the bound VirtualService', () => {
    const { listeners, routes } = generated('', GATEWAY, 'bookinfo-gateway.yaml');
    expect(listeners.map((l) => l.name)).to.deep.equal(['0.0.0.0_8080']);
    expect(filterOf(byName(listeners, '0.0.0.0_8080').filter_chains[0]).rds.route_config_name).to.equal('http.8080');
    const vh = byName(routes, 'http.8080').virtual_hosts;
    expect(vh.map((v: any) => [v.name, v.domains])).to.deep.equal([['*:8080', ['*']]]);
    expect(vh[0].routes.map((r: any) => Object.values(r.match)[0])).to.deep.equal(['/productpage', '/static', '/login', '/logout', '/api/v1/products']);
    expect(vh[0].routes.every((r: any) => r.route.cluster === 'outbound|9080||productpage.default.svc.cluster.local')).to.equal(true);
  });

  it('port 80 listens on the gateway service targetPort; HTTPS SIMPLE with SDS, redirect, passthrough by SNI, TCP', () => {
    const { listeners, routes } = generated(
      `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: [bookinfo.example.com]
    tls: { httpsRedirect: true }
  - port: { number: 443, name: https, protocol: HTTPS }
    hosts: [bookinfo.example.com]
    tls: { mode: SIMPLE, credentialName: bookinfo-cert }
  - port: { number: 443, name: tls-pass, protocol: TLS }
    hosts: [db.example.com]
    tls: {}
  - port: { number: 31400, name: tcp, protocol: TCP }
    hosts: ['*']
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: default }
spec:
  hosts: [bookinfo.example.com, db.example.com, '*']
  gateways: [istio-system/gw]
  http: [{ route: [{ destination: { host: productpage, port: { number: 9080 } } }] }]
  tls: [{ match: [{ sniHosts: [db.example.com] }], route: [{ destination: { host: ratings, port: { number: 9080 } } }] }]
  tcp: [{ match: [{ port: 31400 }], route: [{ destination: { host: details, port: { number: 9080 } } }] }]`,
      GATEWAY,
    );
    expect(listeners.map((l) => l.name)).to.deep.equal(['0.0.0.0_8080', '0.0.0.0_8443', '0.0.0.0_31400']);
    const https = byName(listeners, '0.0.0.0_8443');
    expect(https.filter_chains.map((c: any) => c.filter_chain_match)).to.deep.equal([
      { server_names: ['bookinfo.example.com'], transport_protocol: 'tls' },
      { server_names: ['db.example.com'], transport_protocol: 'tls' },
    ]);
    const tlsCtx = https.filter_chains[0].transport_socket.typed_config;
    expect(tlsCtx.common_tls_context.tls_certificate_sds_secret_configs[0].name).to.equal('kubernetes://bookinfo-cert');
    expect(filterOf(https.filter_chains[0]).rds.route_config_name).to.equal('https.443.https.gw.istio-system');
    // tls: {} is PASSTHROUGH, the mode's zero value in Istio's API.
    expect(filterOf(https.filter_chains[1]).cluster).to.equal('outbound|9080||ratings.default.svc.cluster.local');
    expect(filterOf(byName(listeners, '0.0.0.0_31400').filter_chains[0]).cluster).to.equal('outbound|9080||details.default.svc.cluster.local');
    expect(byName(routes, 'http.8080').virtual_hosts[0]).to.deep.include({ name: 'bookinfo.example.com:8080', domains: ['bookinfo.example.com', 'bookinfo.example.com:*'], require_tls: 'ALL' });
    expect(byName(routes, 'https.443.https.gw.istio-system').virtual_hosts[0].routes[0].route.cluster).to.equal('outbound|9080||productpage.default.svc.cluster.local');
  });

  it('tls and tcp matches apply to a gateway server only when their port and gateways say so', () => {
    const { listeners } = generated(
      `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 443, name: tls-a, protocol: TLS }
    hosts: ['*.example.com']
    tls: { mode: PASSTHROUGH }
  - port: { number: 31400, name: tcp-a, protocol: TCP }
    hosts: ['*']
  - port: { number: 31401, name: tcp-b, protocol: TCP }
    hosts: ['*']
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: edge, namespace: default }
spec:
  hosts: ['*', '*.example.com']
  gateways: [istio-system/gw, mesh]
  tls:
  - match: [{ sniHosts: [a.example.com], port: 443 }, { sniHosts: [b.example.com], port: 8443 }, { sniHosts: [c.example.com], gateways: [istio-system/other] }]
    route: [{ destination: { host: ratings, port: { number: 9080 } } }]
  tcp:
  - match: [{ port: 31400, gateways: [istio-system/other] }]
    route: [{ destination: { host: reviews, port: { number: 9080 } } }]
  - match: [{ port: 31400, gateways: [istio-system/gw] }]
    route: [{ destination: { host: details, port: { number: 9080 } } }]
  - match: [{ port: 31401 }]
    route: [{ destination: { host: productpage, port: { number: 9080 } } }]`,
      GATEWAY,
    );
    // Only the sniHosts of the match for this port and gateway (not b's port 8443, not c's other gateway).
    expect(byName(listeners, '0.0.0.0_8443').filter_chains.map((c: any) => c.filter_chain_match.server_names)).to.deep.equal([['a.example.com']]);
    // The first tcp rule names another gateway: the second one serves 31400; 31401 its own.
    expect(filterOf(byName(listeners, '0.0.0.0_31400').filter_chains[0]).cluster).to.equal('outbound|9080||details.default.svc.cluster.local');
    expect(filterOf(byName(listeners, '0.0.0.0_31401').filter_chains[0]).cluster).to.equal('outbound|9080||productpage.default.svc.cluster.local');
  });

  it('HTTPS with certificate files in the gateway pod: SIMPLE, MUTUAL (client CA, CRL, SANs), OPTIONAL_MUTUAL, two tlsCertificates, protocol versions and ciphers', () => {
    const server = (port: number, host: string, tls: string) => `
  - port: { number: ${port}, name: https-${host.split('.')[0]}, protocol: HTTPS }
    hosts: [${host}]
    tls: ${tls}`;
    const { listeners, routes } = generated(
      `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: files, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers:${server(443, 'simple.example.com', '{ mode: SIMPLE, serverCertificate: /etc/certs/tls.crt, privateKey: /etc/certs/tls.key, minProtocolVersion: TLSV1_2, maxProtocolVersion: TLSV1_3, cipherSuites: [ECDHE-ECDSA-AES128-GCM-SHA256] }')}${server(
        443,
        'mutual.example.com',
        '{ mode: MUTUAL, serverCertificate: /etc/certs/tls.crt, privateKey: /etc/certs/tls.key, caCertificates: /etc/certs/ca.crt, caCrl: /etc/certs/ca.crl, subjectAltNames: [client.example.com, "spiffe://cluster.local/ns/a/sa/b"] }',
      )}${server(443, 'optional.example.com', '{ mode: OPTIONAL_MUTUAL, tlsCertificates: [{ serverCertificate: /rsa.crt, privateKey: /rsa.key }, { serverCertificate: /ec.crt, privateKey: /ec.key }], caCertificates: /ca.crt }')}${server(
        443,
        'pinned.example.com',
        '{ mode: MUTUAL, serverCertificate: /c.crt, privateKey: /c.key, caCertificates: /ca.crt, verifyCertificateSpki: [NvqYIYSbgK2vCJpQhObf77vv+bQWtc5ek5RIOwPiC9A=], verifyCertificateHash: ["df6ff72fe9116521268f6f2dd4966f51df479883fe7037b39f75916ac3049d1a"] }',
      )}${server(443, 'sds.example.com', '{ mode: MUTUAL, credentialName: sds-cert, verifyCertificateSpki: [NvqYIYSbgK2vCJpQhObf77vv+bQWtc5ek5RIOwPiC9A=] }')}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: default }
spec:
  hosts: [simple.example.com, mutual.example.com, optional.example.com, pinned.example.com, sds.example.com]
  gateways: [istio-system/files]
  http: [{ route: [{ destination: { host: productpage, port: { number: 9080 } } }] }]`,
      GATEWAY,
    );
    const chains = byName(listeners, '0.0.0.0_8443').filter_chains;
    expect(chains.map((c: any) => c.filter_chain_match.server_names)).to.deep.equal([['simple.example.com'], ['mutual.example.com'], ['optional.example.com'], ['pinned.example.com'], ['sds.example.com']]);
    const ctx = (i: number) => chains[i].transport_socket.typed_config;
    expect(ctx(0)).to.deep.equal({
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
      common_tls_context: {
        alpn_protocols: ['h2', 'http/1.1'],
        tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3', cipher_suites: ['ECDHE-ECDSA-AES128-GCM-SHA256'] },
        tls_certificates: [{ certificate_chain: { filename: '/etc/certs/tls.crt' }, private_key: { filename: '/etc/certs/tls.key' } }],
      },
    });
    expect(ctx(1).require_client_certificate).to.deep.equal({ value: true });
    expect(ctx(1).common_tls_context.validation_context).to.deep.equal({
      trusted_ca: { filename: '/etc/certs/ca.crt' },
      crl: { filename: '/etc/certs/ca.crl' },
      match_typed_subject_alt_names: [
        { san_type: 'DNS', matcher: { exact: 'client.example.com' } },
        { san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/a/sa/b' } },
      ],
    });
    expect(ctx(2).require_client_certificate).to.equal(undefined);
    expect(ctx(2).common_tls_context.tls_certificates.map((c: any) => c.certificate_chain.filename)).to.deep.equal(['/rsa.crt', '/ec.crt']);
    expect(ctx(2).common_tls_context.validation_context).to.deep.equal({ trusted_ca: { filename: '/ca.crt' } });
    // Client certificate pinning, with files and beside the SDS client CA.
    expect(ctx(3).common_tls_context.validation_context).to.deep.equal({
      trusted_ca: { filename: '/ca.crt' },
      verify_certificate_spki: ['NvqYIYSbgK2vCJpQhObf77vv+bQWtc5ek5RIOwPiC9A='],
      verify_certificate_hash: ['df6ff72fe9116521268f6f2dd4966f51df479883fe7037b39f75916ac3049d1a'],
    });
    expect(ctx(4).common_tls_context.combined_validation_context).to.deep.equal({
      default_validation_context: { verify_certificate_spki: ['NvqYIYSbgK2vCJpQhObf77vv+bQWtc5ek5RIOwPiC9A='] },
      validation_context_sds_secret_config: { name: 'kubernetes://sds-cert-cacert', sds_config: { ads: {}, resource_api_version: 'V3' } },
    });
    expect(routes.map((r) => r.name)).to.include.members(['https.443.https-simple.files.istio-system', 'https.443.https-mutual.files.istio-system', 'https.443.https-optional.files.istio-system']);
  });

  it('a gateway not selecting the proxy gives it nothing; malformed gateways never throw', () => {
    const { listeners } = generated(
      `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: other }
spec: { selector: { istio: egressgateway }, servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ['*'] }] }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: bad1 }
spec: { servers: 7 }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: bad2 }
spec: { servers: [null, { port: 7 }, { port: { number: 81, protocol: HTTPS }, tls: { mode: SIMPLE } }, { port: { number: 82, protocol: HTTP }, hosts: 7 }] }`,
      GATEWAY,
    );
    expect(listeners.map((l) => l.name)).to.deep.equal(['0.0.0.0_82']);
  });
});

describe('Envoy LDS: VirtualService tls routes on sidecars', () => {
  // Istio's "egress gateway for TLS origination-free HTTPS traffic" example, as written.
  const EGRESS = `
apiVersion: v1
kind: Service
metadata: { name: istio-egressgateway, namespace: istio-system }
spec: { selector: { istio: egressgateway }, ports: [{ name: tls, port: 443 }] }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: cnn }
spec: { hosts: [edition.cnn.com], ports: [{ number: 443, name: tls, protocol: TLS }], resolution: DNS }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: istio-egressgateway }
spec:
  selector: { istio: egressgateway }
  servers: [{ port: { number: 443, name: tls, protocol: TLS }, hosts: [edition.cnn.com], tls: { mode: PASSTHROUGH } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: egressgateway-for-cnn }
spec: { host: istio-egressgateway.istio-system.svc.cluster.local, subsets: [{ name: cnn }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: direct-cnn-through-egress-gateway }
spec:
  hosts: [edition.cnn.com]
  gateways: [mesh, istio-egressgateway]
  tls:
  - match: [{ gateways: [mesh], port: 443, sniHosts: [edition.cnn.com] }]
    route: [{ destination: { host: istio-egressgateway.istio-system.svc.cluster.local, subset: cnn, port: { number: 443 } } }]
  - match: [{ gateways: [istio-egressgateway], port: 443, sniHosts: [edition.cnn.com] }]
    route: [{ destination: { host: edition.cnn.com, port: { number: 443 } }, weight: 100 }]`;

  const cnnChain = (yaml: string) => {
    const { listeners } = generated(yaml, PRODUCTPAGE);
    const chain = byName(listeners, '0.0.0.0_443').filter_chains.find((c: any) => c.filter_chain_match?.server_names?.includes('edition.cnn.com'));
    return filterOf(chain).cluster;
  };

  it("the mesh's tls rule whose sniHosts name the host sends it to the egress gateway; without the VirtualService it goes out directly", () => {
    expect(cnnChain(EGRESS)).to.equal('outbound|443|cnn|istio-egressgateway.istio-system.svc.cluster.local');
    const direct = EGRESS.split('---').filter((d) => !d.includes('kind: VirtualService')).join('---');
    expect(cnnChain(direct)).to.equal('outbound|443||edition.cnn.com');
  });

  it('a tls rule for other SNI hosts, or for the gateway only, leaves the host to its own cluster', () => {
    expect(cnnChain(EGRESS.replace('sniHosts: [edition.cnn.com] }]\n    route: [{ destination: { host: istio-egressgateway', 'sniHosts: [other.example.com] }]\n    route: [{ destination: { host: istio-egressgateway'))).to.equal('outbound|443||edition.cnn.com');
    expect(cnnChain(EGRESS.replace('gateways: [mesh], port: 443', 'gateways: [istio-egressgateway], port: 443'))).to.equal('outbound|443||edition.cnn.com');
  });
});

describe('Envoy LDS: tcp rules with sourceNamespace', () => {
  it('apply only to proxies of that namespace', () => {
    const yaml = (ns: string) => `${MYSQL_SERVICE}
---
apiVersion: v1
kind: Service
metadata: { name: mysql-b }
spec: { clusterIP: 10.96.5.6, selector: { app: mysql-b }, ports: [{ name: tcp-mysql, port: 3306 }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: mysql }
spec:
  hosts: [mysql]
  tcp: [{ match: [{ sourceNamespace: ${ns} }], route: [{ destination: { host: mysql-b } }] }]`;
    const target = (ns: string) => filterOf(byName(generated(yaml(ns), PRODUCTPAGE).listeners, '10.96.5.5_3306').filter_chains[0]).cluster;
    expect(target('default')).to.equal('outbound|3306||mysql-b.default.svc.cluster.local');
    expect(target('elsewhere')).to.equal('outbound|3306||mysql.default.svc.cluster.local');
  });
});
