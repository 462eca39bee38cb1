import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { certDirXdsTls, envoyArgs, envoyBootstrap, envoyBootstrapText, parseHostPort, xdsClientSds, XDS_CLIENT_SECRET, type EnvoyBootstrapOptions } from '../../src/bootstrap/envoy.js';
import { encode, decode, envoyRoot } from '../../src/xds/proto.js';
import { checkPgv } from '../../src/xds/pgv.js';
import { TypeUrls } from '../../src/core/constants.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const T = 'envoy.config.bootstrap.v3.Bootstrap';

const cases: Record<string, EnvoyBootstrapOptions> = {
  'sidecar-dns': { xdsAddress: 'mizzen.mizzen-system.svc:15010', logLevel: 'info', clusterName: 'reviews.default' },
  // Self-discovery (ISTIO_META_ENABLE_SELF_DISCOVERY): local_cluster by EDS, named the cluster manager's local cluster; the node's locality.
  'sidecar-self-discovery': {
    xdsAddress: 'mizzen.mizzen-system.svc:15010',
    logLevel: 'info',
    clusterName: 'reviews.default',
    selfDiscovery: { locality: { region: 'us-east1', zone: 'us-east1-b' } },
  },
  'gateway-ip-with-node': { xdsAddress: '10.96.0.10:15010', nodeId: 'router~10.1.0.5~gw-1.istio-system~istio-system.svc.cluster.local', logLevel: 'warning', clusterName: 'istio-ingressgateway.istio-system' },
  'ipv6-xds': { xdsAddress: '[fd00::10]:15012', logLevel: 'debug', clusterName: 'x.y' },
  // A sidecar with mesh certificates: xDS over TLS, the control plane's certificate checked against the mesh CA.
  'sidecar-xds-tls': {
    xdsAddress: 'mizzen.mizzen-system.svc:15012',
    logLevel: 'info',
    clusterName: 'reviews.default',
    xdsTls: { caFile: '/etc/certs/root-cert.pem', serverName: 'mizzen.mizzen-system.svc' },
  },
  // A gateway that authenticates to xDS: its client certificate through file-based SDS, so Envoy reloads it on renewal.
  'gateway-xds-client-cert': {
    xdsAddress: 'mizzen.mizzen-system.svc:15012',
    logLevel: 'warning',
    clusterName: 'istio-ingressgateway.istio-system',
    xdsTls: { caFile: '/etc/certs/root-cert.pem', serverName: 'mizzen.mizzen-system.svc', clientSds: '/etc/istio/xds-client/xds-client.yaml' },
  },
  // Rewritten probes (inject/probes.ts): the app-health listener on 15020 and a cluster per port and scheme.
  'sidecar-app-probes': {
    xdsAddress: 'mizzen.mizzen-system.svc:15010',
    logLevel: 'info',
    clusterName: 'web.default',
    appProbes: {
      address: '$(INSTANCE_IP)',
      routes: [
        { path: '/app-health/web/livez', port: 8080, https: false, target: '/healthz' },
        { path: '/app-health/web/readyz', port: 8080, https: false, target: '/ready?full=1' },
        { path: '/app-health/api/readyz', port: 8443, https: true, target: '/' },
      ],
    },
  },
};

describe('envoy bootstrap', () => {
  for (const [name, opts] of Object.entries(cases)) {
    it(`${name}: golden, and a valid envoy.config.bootstrap.v3.Bootstrap (encodes and decodes back unchanged, passes Envoy's validate rules)`, async () => {
      const r = envoyBootstrap(opts);
      if (!r.ok) throw new Error(r.errors.join());
      const back = decode(T, encode(T, r.value));
      expect(back).to.deep.equal(r.value);
      expect(checkPgv(envoyRoot(), T, r.value)).to.deep.equal([]);
      const file = join(TESTDATA, `${name}.json`);
      const text = JSON.stringify(r.value, null, 2) + '\n';
      if (UPDATE) writeFileSync(file, text);
      else {
        expect(existsSync(file), `missing golden ${file}: run with UPDATE_GOLDEN=1`).to.equal(true);
        expect(text).to.equal(readFileSync(file, 'utf8'));
      }
    });
  }

  describe('envoyBootstrapText: the same document as text, with its static part serialized once per xDS address', () => {
    const withMetadata: EnvoyBootstrapOptions = {
      xdsAddress: 'mizzen.mizzen-system.svc:15010',
      logLevel: 'info',
      clusterName: 'a"quoted\\cluster.$(POD_NAMESPACE)',
      metadata: { LABELS: { app: 'wëb', 'a/b': 'x"y' }, NAME: '$(POD_NAME)', EMPTY: '' },
    };
    for (const [name, opts] of Object.entries({ ...cases, 'metadata with quotes and unicode': withMetadata })) {
      it(name, async () => {
        for (let round = 0; round < 2; round++) {
          const doc = envoyBootstrap(opts);
          const text = envoyBootstrapText(opts);
          if (!doc.ok || !text.ok) throw new Error('not ok');
          expect(text.value.json).to.equal(JSON.stringify(doc.value));
          expect(text.value.quoted).to.equal(JSON.stringify(text.value.json));
          if (opts.metadata) {
            const given = envoyBootstrapText({ ...opts, metadata: undefined }, JSON.stringify(opts.metadata));
            expect(given).to.deep.equal(text);
          }
        }
      });
    }
    it('fails as envoyBootstrap does for a bad address', async () => {
      const opts = { xdsAddress: 'nohost', logLevel: 'info', clusterName: 'c' };
      expect(envoyBootstrapText(opts)).to.deep.equal(envoyBootstrap(opts));
    });
  });

  it('has no unused golden files', async () => {
    const unused = readdirSync(TESTDATA).filter((f) => !(f.replace(/\.json$/, '') in cases));
    expect(unused).to.deep.equal([]);
  });

  it('points ADS at xds-grpc over HTTP/2 and serves stats and readiness through admin', async () => {
    const r = envoyBootstrap(cases['sidecar-dns']!);
    if (!r.ok) throw new Error(r.errors.join());
    const b = r.value as any;
    expect(b.dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name).to.equal('xds-grpc');
    const xds = b.static_resources.clusters.find((c: any) => c.name === 'xds-grpc');
    expect(xds.type).to.equal('STRICT_DNS');
    expect(xds.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config).to.have.property('http2_protocol_options');
    expect(b.admin.address.socket_address).to.deep.equal({ address: '127.0.0.1', port_value: 15000 });
    const ports = b.static_resources.listeners.map((l: any) => l.address.socket_address.port_value);
    expect(ports).to.deep.equal([15090, 15021]);
    expect(b.node).to.deep.equal({ cluster: 'reviews.default' });
  });

  describe('a client certificate for xDS, through file-based SDS', () => {
    const tlsOf = (b: any) => b.static_resources.clusters.find((c: any) => c.name === 'xds-grpc').transport_socket.typed_config.common_tls_context;

    it('names the SDS file and watches its directory; the server is still checked as without it', async () => {
      const withClient = envoyBootstrap(cases['gateway-xds-client-cert']!);
      const without = envoyBootstrap({ ...cases['gateway-xds-client-cert']!, xdsTls: { caFile: '/etc/certs/root-cert.pem', serverName: 'mizzen.mizzen-system.svc' } });
      if (!withClient.ok || !without.ok) throw new Error('not ok');
      const { tls_certificate_sds_secret_configs: sds, ...rest } = tlsOf(withClient.value);
      expect(rest).to.deep.equal(tlsOf(without.value));
      expect(sds).to.deep.equal([
        {
          name: XDS_CLIENT_SECRET,
          sds_config: { path_config_source: { path: '/etc/istio/xds-client/xds-client.yaml', watched_directory: { path: '/etc/istio/xds-client' } }, resource_api_version: 'V3' },
        },
      ]);
      // Only the certificate comes from SDS: nothing inline that Envoy would read once.
      expect(tlsOf(withClient.value)).not.to.have.property('tls_certificates');
    });

    it("the SDS file is a DiscoveryResponse of one Secret, by the name the bootstrap asks for, that Envoy's rules accept", async () => {
      const doc = xdsClientSds('/etc/certs/') as any;
      expect(doc).to.deep.equal({
        resources: [
          {
            '@type': TypeUrls.secret,
            name: XDS_CLIENT_SECRET,
            tls_certificate: {
              certificate_chain: { filename: '/etc/certs/cert-chain.pem' },
              private_key: { filename: '/etc/certs/key.pem' },
              watched_directory: { path: '/etc/certs' },
            },
          },
        ],
      });
      const R = 'envoy.service.discovery.v3.DiscoveryResponse';
      expect(decode(R, encode(R, doc))).to.deep.equal(doc);
      const { '@type': type, ...secret } = doc.resources[0];
      expect(checkPgv(envoyRoot(), type, secret)).to.deep.equal([]);
    });

    it('certDirXdsTls: a workload certificate directory as a sidecar\'s /etc/certs, the SDS file beside the certificate it names', async () => {
      expect(certDirXdsTls('/etc/certs/', 'mizzen.mizzen-system.svc')).to.deep.equal({
        caFile: '/etc/certs/root-cert.pem',
        serverName: 'mizzen.mizzen-system.svc',
        clientSds: '/etc/certs/xds-client.yaml',
      });
      expect(certDirXdsTls('/', 's')).to.deep.equal({ caFile: '/root-cert.pem', serverName: 's', clientSds: '/xds-client.yaml' });
      const sds = (xdsClientSds('/var/vm/certs') as any).resources[0].tls_certificate;
      expect(sds.watched_directory.path + '/xds-client.yaml').to.equal(certDirXdsTls('/var/vm/certs', 's').clientSds);
    });

    const badPaths = ['xds-client.yaml', 'etc/x.yaml', '/etc/istio/xds-client/', ''];
    for (const p of badPaths) {
      it(`refuses clientSds ${JSON.stringify(p)}: not an absolute file path`, async () => {
        const opts = { ...cases['gateway-xds-client-cert']!, xdsTls: { caFile: '/c.pem', serverName: 's', clientSds: p } };
        expect(envoyBootstrap(opts)).to.deep.equal({ ok: false, errors: [`xdsTls.clientSds: "${p}" must be the absolute path of a file`] });
        expect(envoyBootstrapText(opts)).to.deep.equal(envoyBootstrap(opts));
      });
    }
  });

  it('self-discovery: local_cluster fed by EDS over ADS and named local_cluster_name; node.locality only when known', async () => {
    const base = { xdsAddress: '10.96.0.10:15010', logLevel: 'info', clusterName: 'c' };
    const r = envoyBootstrap({ ...base, selfDiscovery: {} });
    if (!r.ok) throw new Error(r.errors.join());
    const doc = r.value as any;
    expect(doc.cluster_manager).to.deep.equal({ local_cluster_name: 'local_cluster' });
    const local = doc.static_resources.clusters.find((c: any) => c.name === 'local_cluster');
    expect(local).to.deep.equal({ name: 'local_cluster', type: 'EDS', eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: 'local_cluster' } });
    expect(doc.node).to.not.have.property('locality');
    expect(checkPgv(envoyRoot(), T, doc)).to.deep.equal([]);
    const empty = envoyBootstrap({ ...base, selfDiscovery: { locality: { region: '', zone: '' } } });
    expect(empty.ok && (empty.value as any).node).to.not.have.property('locality');
    const plain = envoyBootstrap(base);
    expect(plain.ok && plain.value).to.not.have.property('cluster_manager');
  });

  it('uses a STATIC cluster for an IP address', async () => {
    const r = envoyBootstrap(cases['gateway-ip-with-node']!);
    expect(r.ok && (r.value as any).static_resources.clusters[0].type).to.equal('STATIC');
    expect(r.ok && (r.value as any).node.id).to.equal(cases['gateway-ip-with-node']!.nodeId);
  });

  const addresses: Array<[string, string]> = [
    ['a.b:1', 'a.b 1'],
    ['127.0.0.1:15010', '127.0.0.1 15010'],
    ['[::1]:15012', '::1 15012'],
    ['nohost', 'xdsAddress: "nohost" must be host:port'],
    ['a:0', 'xdsAddress: port 0 must be between 1 and 65535'],
    ['a:65536', 'xdsAddress: port 65536 must be between 1 and 65535'],
    ['::1:15010', 'xdsAddress: "::1:15010" must be host:port'],
    [':15010', 'xdsAddress: ":15010" must be host:port'],
    ['a b:1', 'xdsAddress: "a b:1" must be host:port'],
  ];
  for (const [input, want] of addresses) {
    it(`parses xdsAddress ${JSON.stringify(input)}`, async () => {
      const r = parseHostPort(input);
      expect(r.ok ? `${r.value.host} ${r.value.port}` : r.errors.join()).to.equal(want);
    });
  }

  it('builds the Envoy command line with the bootstrap inline', async () => {
    const args = envoyArgs({ bootstrap: { node: { cluster: 'c' } }, logLevel: 'info', serviceNode: 'sidecar~$(INSTANCE_IP)~p.ns~ns.svc.cluster.local', serviceCluster: 'c', concurrency: 2 });
    expect(args).to.deep.equal([
      '--config-yaml', '{"node":{"cluster":"c"}}',
      '--service-node', 'sidecar~$(INSTANCE_IP)~p.ns~ns.svc.cluster.local',
      '--service-cluster', 'c',
      '--log-level', 'info', '--disable-hot-restart', '--concurrency', '2',
    ]);
  });
});
