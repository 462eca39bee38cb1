import { expect } from 'chai';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as grpc from '@grpc/grpc-js';
import { run } from '../../src/cmd/bootstrap.js';
import { run as workloadCert } from '../../src/cmd/workload-cert.js';
import { startServe, type RunningServe } from '../../src/cmd/serve.js';
import { grpcBootstrap, grpcNodeId } from '../../src/bootstrap/grpc.js';
import { XDS_CLIENT_SECRET } from '../../src/bootstrap/envoy.js';
import { parseNode } from '../../src/model/proxy.js';
import { GrpcXds, TypeUrls } from '../../src/core/constants.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { silentLogger } from '../../src/core/log.js';
import type { XdsComponent } from '../../src/xds/server/component.js';
import { decode, encode, envoyRoot } from '../../src/xds/proto.js';
import { checkPgv } from '../../src/xds/pgv.js';
import { captureOutput } from '../support/cli.js';
import { scratchDir } from '../support/tmp.js';
import { RawAds, struct } from '../xds/server/harness.js';

const require = createRequire(import.meta.url);
const { validateBootstrapConfig } = require('@grpc/grpc-js-xds/build/src/xds-bootstrap.js') as { validateBootstrapConfig(o: unknown): any };

const capture = (argv: string[]) => captureOutput(() => run(argv));

const NODE = 'sidecar~127.0.0.7~client-1.shop~shop.svc.cluster.local';

describe('gRPC bootstrap (pure)', () => {
  it('is accepted by grpc-js-xds and parses back to a gRPC node of the right namespace', () => {
    const r = grpcBootstrap({ xdsAddress: '127.0.0.1:15010', nodeId: NODE, labels: { app: 'client' } });
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    const info = validateBootstrapConfig(r.value);
    expect(info.xdsServers[0].server_uri).to.equal('127.0.0.1:15010');
    expect(info.serverListenerResourceNameTemplate).to.equal(GrpcXds.serverListenerTemplate);
    const node = parseNode({ id: (r.value.node as any).id, metadata: (r.value.node as any).metadata });
    expect(node.ok && node.value).to.deep.include({ generator: 'grpc', namespace: 'shop', ip: '127.0.0.7', labels: { app: 'client' } });
  });

  it('with certDir declares the file_watcher provider grpc-js-xds reads the workload certificate through', () => {
    const r = grpcBootstrap({ xdsAddress: '127.0.0.1:15010', nodeId: NODE, certDir: '/var/lib/istio/data' });
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    const info = validateBootstrapConfig(r.value);
    expect(info.certificateProviders.default).to.deep.equal({
      pluginName: 'file_watcher',
      config: {
        certificateFile: '/var/lib/istio/data/cert-chain.pem',
        privateKeyFile: '/var/lib/istio/data/key.pem',
        caCertificateFile: '/var/lib/istio/data/root-cert.pem',
        refreshIntervalMs: 900_000,
      },
    });
  });

  it('with xdsTls dials xDS with gRFC A65 tls channel credentials of the same files, which grpc-js-xds 1.14 does not know', () => {
    const r = grpcBootstrap({ xdsAddress: 'mizzen.mizzen-system.svc:15012', nodeId: NODE, certDir: '/var/lib/istio/data', xdsTls: true });
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect((r.value.xds_servers as any)[0].channel_creds).to.deep.equal([
      {
        type: 'tls',
        config: {
          certificate_file: '/var/lib/istio/data/cert-chain.pem',
          private_key_file: '/var/lib/istio/data/key.pem',
          ca_certificate_file: '/var/lib/istio/data/root-cert.pem',
          refresh_interval: '900s',
        },
      },
    ]);
    // The library's own refusal, as the help says: no silent fallback to another credential is offered.
    expect(() => validateBootstrapConfig(r.value)).to.throw(/at least one entry with a type in \[google_default,insecure\]/);
  });

  it('without certDir declares no certificate provider', () => {
    const r = grpcBootstrap({ xdsAddress: '127.0.0.1:15010', nodeId: NODE });
    expect(r.ok && r.value).to.not.have.property('certificate_providers');
  });

  it('builds the node id from ip, pod and namespace', () => {
    const r = grpcBootstrap({ xdsAddress: 'mizzen:15010', ip: '10.1.2.3', pod: 'p', namespace: 'ns' });
    expect(r.ok && (r.value.node as any).id).to.equal(grpcNodeId('10.1.2.3', 'p', 'ns'));
    expect(grpcNodeId('10.1.2.3', 'p', 'ns')).to.equal('sidecar~10.1.2.3~p.ns~ns.svc.cluster.local');
  });

  const bad: Array<[string, Parameters<typeof grpcBootstrap>[0], RegExp]> = [
    ['no port', { xdsAddress: 'mizzen' }, /^xdsAddress: /],
    ['port out of range', { xdsAddress: 'mizzen:70000' }, /^xdsAddress: /],
    ['bad ip', { xdsAddress: 'a:1', ip: 'x.y' }, /^ip: /],
    ['bad node id', { xdsAddress: 'a:1', nodeId: 'nope' }, /^nodeId: /],
    ['empty certDir', { xdsAddress: 'a:1', certDir: '' }, /^certDir: /],
    ['xdsTls without certDir', { xdsAddress: 'a:1', xdsTls: true }, /^xdsTls: needs certDir/],
  ];
  for (const [name, opts, re] of bad) {
    it(`rejects ${name} naming the field`, () => {
      const r = grpcBootstrap(opts);
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.errors[0]).to.match(re);
    });
  }
});

describe('mizzen bootstrap', () => {
  it('--grpc prints the gRPC bootstrap', async () => {
    const { code, out } = await capture(['--grpc', '--node', NODE, '--xds-address', '127.0.0.1:15010']);
    expect(code).to.equal(0);
    const doc = JSON.parse(out);
    expect(doc.node.id).to.equal(NODE);
    expect(doc.node.metadata.GENERATOR).to.equal('grpc');
    expect(() => validateBootstrapConfig(doc)).to.not.throw();
  });

  it('--grpc --cert-dir adds the certificate_providers block', async () => {
    const { code, out } = await capture(['--grpc', '--node', NODE, '--xds-address', '127.0.0.1:15010', '--cert-dir', 'certs/client']);
    expect(code).to.equal(0);
    const doc = JSON.parse(out);
    expect(doc.certificate_providers).to.deep.equal({
      default: {
        plugin_name: 'file_watcher',
        config: {
          certificate_file: 'certs/client/cert-chain.pem',
          private_key_file: 'certs/client/key.pem',
          ca_certificate_file: 'certs/client/root-cert.pem',
          refresh_interval: '900s',
        },
      },
    });
    expect(validateBootstrapConfig(doc).certificateProviders.default.pluginName).to.equal('file_watcher');
  });

  it('without --grpc prints the Envoy bootstrap for the node', async () => {
    const { code, out } = await capture(['--node', NODE, '--xds-address', '127.0.0.1:15010', '--labels', 'app=client,version=v1']);
    expect(code).to.equal(0);
    const doc = JSON.parse(out);
    expect(doc.node).to.deep.include({ id: NODE, cluster: 'client.shop' });
    expect(doc.node.metadata).to.deep.equal({ NAMESPACE: 'shop', LABELS: { app: 'client', version: 'v1' } });
    expect(doc.dynamic_resources.ads_config.api_type).to.equal('GRPC');
  });

  it("names node.cluster from --labels as Istio's agent does, and as --tracing-service-name says", async () => {
    const cases: Array<[string[], string]> = [
      [['--labels', 'app=client,service.istio.io/canonical-name=shop'], 'client.shop'],
      [['--labels', 'app.kubernetes.io/name=site'], 'site.shop'],
      [[], 'client-1.shop'],
      [['--labels', 'app=client,service.istio.io/canonical-name=cart', '--tracing-service-name', 'CANONICAL_NAME_ONLY'], 'cart'],
      [['--labels', 'app=client', '--tracing-service-name', 'CANONICAL_NAME_AND_NAMESPACE'], 'client.shop'],
      [['--cluster', 'mine'], 'mine'],
    ];
    for (const [argv, cluster] of cases) {
      const { code, out } = await capture(['--node', NODE, ...argv]);
      expect(code, argv.join(' ')).to.equal(0);
      expect(JSON.parse(out).node.cluster, argv.join(' ')).to.equal(cluster);
    }
  });

  it('--access-log-service adds the envoy_accesslog_service cluster (plaintext, HTTP/2) at that address', async () => {
    const { code, out } = await capture(['--node', NODE, '--access-log-service', 'als.istio-system:15000']);
    expect(code).to.equal(0);
    const als = JSON.parse(out).static_resources.clusters.find((c: any) => c.name === 'envoy_accesslog_service');
    expect(als.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).to.deep.equal({ address: 'als.istio-system', port_value: 15000 });
    expect(als).to.not.have.property('transport_socket');
  });

  it('--cert-dir names the mesh certificate files in the Envoy node metadata, with Istio\'s keys', async () => {
    const { code, out } = await capture(['--node', NODE, '--cert-dir', '/etc/certs/']);
    expect(code).to.equal(0);
    expect(JSON.parse(out).node.metadata).to.deep.equal({
      NAMESPACE: 'shop',
      TLS_SERVER_CERT_CHAIN: '/etc/certs/cert-chain.pem',
      TLS_SERVER_KEY: '/etc/certs/key.pem',
      TLS_SERVER_ROOT_CERT: '/etc/certs/root-cert.pem',
      TLS_CLIENT_CERT_CHAIN: '/etc/certs/cert-chain.pem',
      TLS_CLIENT_KEY: '/etc/certs/key.pem',
      TLS_CLIENT_ROOT_CERT: '/etc/certs/root-cert.pem',
    });
  });

  describe('--xds-tls: xDS over TLS with the certificate of --cert-dir', () => {
    const VM = 'sidecar~10.0.0.9~vm-1.shop~shop.svc.cluster.local';
    const bootstrap = async (argv: string[]): Promise<any> => {
      const { code, out, err } = await capture(['--node', VM, ...argv]);
      expect(code, err).to.equal(0);
      return JSON.parse(out);
    };
    const xdsCluster = (doc: any) => doc.static_resources.clusters.find((c: any) => c.name === 'xds-grpc');

    it('dials 15012, checks the server against root-cert.pem and presents the certificate through DIR/xds-client.yaml', async () => {
      const doc = await bootstrap(['--cert-dir', '/etc/certs/', '--xds-tls']);
      const xds = xdsCluster(doc);
      expect(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).to.deep.equal({ address: 'mizzen.mizzen-system.svc', port_value: 15012 });
      expect(xds.transport_socket).to.deep.equal({
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          sni: 'mizzen.mizzen-system.svc',
          common_tls_context: {
            alpn_protocols: ['h2'],
            tls_certificate_sds_secret_configs: [
              {
                name: XDS_CLIENT_SECRET,
                sds_config: { path_config_source: { path: '/etc/certs/xds-client.yaml', watched_directory: { path: '/etc/certs' } }, resource_api_version: 'V3' },
              },
            ],
            validation_context: {
              trusted_ca: { filename: '/etc/certs/root-cert.pem' },
              match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'mizzen.mizzen-system.svc' } }],
            },
          },
        },
      });
      // A valid envoy.config.bootstrap.v3.Bootstrap: passes Envoy's validate rules, and encodes and decodes back unchanged
      // (but for node.metadata, a Struct, which protobufjs takes only in its own form).
      const T = 'envoy.config.bootstrap.v3.Bootstrap';
      expect(checkPgv(envoyRoot(), T, doc)).to.deep.equal([]);
      const { metadata: _metadata, ...node } = doc.node;
      const bare = { ...doc, node };
      expect(decode(T, encode(T, bare))).to.deep.equal(bare);
    });

    it('changes nothing but the xds-grpc cluster\'s transport socket against plaintext on the same address', async () => {
      const plain = await bootstrap(['--cert-dir', '/etc/certs', '--xds-address', 'mizzen.mizzen-system.svc:15012']);
      const tls = await bootstrap(['--cert-dir', '/etc/certs', '--xds-tls']);
      delete xdsCluster(tls).transport_socket;
      expect(tls).to.deep.equal(plain);
    });

    const names: Array<[string, string[], string, string]> = [
      ['a DNS name of --xds-address', ['--xds-address', 'mizzen.example.com:443'], 'mizzen.example.com', 'mizzen.example.com'],
      ['the service name for an IPv4 --xds-address', ['--xds-address', '10.96.0.12:15012'], '10.96.0.12', 'mizzen.mizzen-system.svc'],
      ['the service name for an IPv6 --xds-address', ['--xds-address', '[fd00::12]:15012'], 'fd00::12', 'mizzen.mizzen-system.svc'],
      ['--xds-server-name over the address', ['--xds-address', '10.96.0.12:15012', '--xds-server-name', 'mizzen.mizzen-system.svc.cluster.local'], '10.96.0.12', 'mizzen.mizzen-system.svc.cluster.local'],
    ];
    for (const [name, argv, address, serverName] of names) {
      it(`checks ${name}`, async () => {
        const xds = xdsCluster(await bootstrap(['--cert-dir', '/etc/certs', '--xds-tls', ...argv]));
        expect(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address).to.equal(address);
        const tls = xds.transport_socket.typed_config;
        expect([tls.sni, tls.common_tls_context.validation_context.match_typed_subject_alt_names[0].matcher.exact]).to.deep.equal([serverName, serverName]);
      });
    }

    it('--grpc --xds-tls: the A65 tls channel credentials of --cert-dir, on 15012', async () => {
      const { code, out } = await capture(['--grpc', '--namespace', 'shop', '--cert-dir', '/var/lib/istio/data', '--xds-tls']);
      expect(code).to.equal(0);
      const server = JSON.parse(out).xds_servers[0];
      expect(server.server_uri).to.equal('mizzen.mizzen-system.svc:15012');
      expect(server.channel_creds.map((c: any) => [c.type, c.config.certificate_file])).to.deep.equal([['tls', '/var/lib/istio/data/cert-chain.pem']]);
    });
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['missing --node', [], /--node is required/],
    ['a malformed node id', ['--node', 'x'], /--node: /],
    ['a malformed --xds-address', ['--node', NODE, '--xds-address', 'nope'], /--xds-address: /],
    ['a malformed --xds-address with --grpc', ['--grpc', '--xds-address', 'nope'], /--xds-address: /],
    ['malformed --labels', ['--grpc', '--labels', 'novalue'], /--labels: /],
    ['an unknown flag', ['--bogus'], /bogus/],
    ['a relative --cert-dir for Envoy', ['--node', NODE, '--cert-dir', 'certs/client'], /--cert-dir: "certs\/client" must be an absolute path/],
    ['an empty --cert-dir', ['--grpc', '--cert-dir', ''], /--cert-dir: /],
    ['--xds-tls without --cert-dir', ['--node', NODE, '--xds-tls'], /--xds-tls: needs --cert-dir/],
    ['--grpc --xds-tls without --cert-dir', ['--grpc', '--xds-tls'], /--xds-tls: needs --cert-dir/],
    ['--xds-tls with a relative --cert-dir', ['--node', NODE, '--xds-tls', '--cert-dir', 'certs/vm'], /--cert-dir: "certs\/vm" must be an absolute path/],
    ['--xds-server-name without --xds-tls', ['--node', NODE, '--cert-dir', '/etc/certs', '--xds-server-name', 'a.b'], /--xds-server-name: only with --xds-tls/],
    ['--xds-server-name with --grpc', ['--grpc', '--cert-dir', '/c', '--xds-tls', '--xds-server-name', 'a.b'], /--xds-server-name: not with --grpc/],
    ['an --access-log-service that is no host:port', ['--node', NODE, '--access-log-service', 'als'], /--access-log-service: "als" must be host:port/],
    ['a --xds-server-name that is no DNS name', ['--node', NODE, '--cert-dir', '/c', '--xds-tls', '--xds-server-name', 'a b'], /--xds-server-name: "a b" must be a DNS name/],
    ['an unknown --tracing-service-name', ['--node', NODE, '--tracing-service-name', 'APP'], /--tracing-service-name: "APP" must be one of APP_LABEL_AND_NAMESPACE, CANONICAL_NAME_ONLY, CANONICAL_NAME_AND_NAMESPACE/],
    ['--tracing-service-name with --cluster', ['--node', NODE, '--cluster', 'c', '--tracing-service-name', 'CANONICAL_NAME_ONLY'], /--tracing-service-name: not with --cluster/],
    ['--tracing-service-name with --grpc', ['--grpc', '--node', NODE, '--tracing-service-name', 'CANONICAL_NAME_ONLY'], /--tracing-service-name: Envoy only/],
  ];
  for (const [name, argv, re] of usage) {
    it(`exits 2 on ${name}`, async () => {
      const { code, err } = await capture(argv);
      expect(code).to.equal(2);
      expect(err).to.match(re);
    });
  }

  it('--help exits 0', async () => {
    const { code, out } = await capture(['--help']);
    expect(code).to.equal(0);
    expect(out).to.match(/usage: mizzen bootstrap/);
  });
});

describe('mizzen bootstrap --xds-tls, end to end: a VM\'s files are accepted by the xDS server on TLS', function () {
  this.timeout(60_000);
  let running: RunningServe;
  let certs: string;
  before(async () => {
    certs = scratchDir('mizzen-vm-certs-');
    // An empty certs directory: serve writes the mesh CA into it and signs 15012's certificate with it.
    running = await startServe({ webhookPort: 0, monitoringPort: 0, xdsPort: 0, xdsTlsPort: 0, host: '127.0.0.1', certsDir: certs, mesh: DEFAULT_MESH_CONFIG, configDir: scratchDir('mizzen-vm-config-'), log: silentLogger });
  });
  after(async () => {
    await running?.shutdown();
  });
  const xds = () => running.components.find((c) => c.name === 'xds') as XdsComponent;

  // Only the files the bootstrap names are read (the CA, the SDS file, the certificate and key it names), so a wrong
  // name anywhere along the way fails here. That a certificate of another namespace is refused (PERMISSION_DENIED) is
  // checked for the same kind of certificate in test/xds/server/credentials.test.ts.
  it('workload-cert --out DIR, then bootstrap --cert-dir DIR --xds-tls: connected, with the SPIFFE id as its identity', async () => {
    const dir = join(scratchDir('mizzen-vm-'), 'certs');
    const issued = await captureOutput(() => workloadCert(['--namespace', 'shop', '--service-account', 'vm', '--certs-dir', certs, '--out', dir]));
    expect(issued.code, issued.err).to.equal(0);
    const node = 'sidecar~10.0.0.9~vm-1.shop~shop.svc.cluster.local';
    // An IP address: the server name is the service's, which 15012's certificate carries.
    const printed = await capture(['--node', node, '--cert-dir', dir, '--xds-tls', '--xds-address', `127.0.0.1:${xds().tlsPort()}`]);
    expect(printed.code, printed.err).to.equal(0);
    const doc = JSON.parse(printed.out);
    const cluster = doc.static_resources.clusters.find((c: any) => c.name === 'xds-grpc');
    const tls = cluster.transport_socket.typed_config;
    const sds = parseYaml(readFileSync(tls.common_tls_context.tls_certificate_sds_secret_configs[0].sds_config.path_config_source.path, 'utf8'));
    const secret = sds.resources.find((r: any) => r.name === tls.common_tls_context.tls_certificate_sds_secret_configs[0].name);
    const c = new RawAds(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value, false, {
      ca: readFileSync(tls.common_tls_context.validation_context.trusted_ca.filename, 'utf8'),
      serverName: tls.sni,
      cert: readFileSync(secret.tls_certificate.certificate_chain.filename, 'utf8'),
      key: readFileSync(secret.tls_certificate.private_key.filename, 'utf8'),
    });
    try {
      c.send({ node: { id: doc.node.id, metadata: struct(doc.node.metadata) }, type_url: TypeUrls.cluster });
      expect((await c.next(10_000)).type_url).to.equal(TypeUrls.cluster);
      const syncz = xds().server()!.debug.syncz!({}) as Array<{ id: string; identity?: string }>;
      expect(syncz.find((p) => p.id === node)?.identity).to.equal('spiffe://cluster.local/ns/shop/sa/vm');
      expect(c.status?.code ?? grpc.status.OK).to.equal(grpc.status.OK);
    } finally {
      c.close();
    }
  });
});
