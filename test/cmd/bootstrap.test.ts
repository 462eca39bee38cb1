import { expect } from 'chai';
import { createRequire } from 'node:module';
import { run } from '../../src/cmd/bootstrap.js';
import { grpcBootstrap, grpcNodeId } from '../../src/bootstrap/grpc.js';
import { parseNode } from '../../src/model/proxy.js';
import { GrpcXds } from '../../src/core/constants.js';
import { captureOutput } from '../support/cli.js';

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

  const usage: Array<[string, string[], RegExp]> = [
    ['missing --node', [], /--node is required/],
    ['a malformed node id', ['--node', 'x'], /--node: /],
    ['a malformed --xds-address', ['--node', NODE, '--xds-address', 'nope'], /--xds-address: /],
    ['a malformed --xds-address with --grpc', ['--grpc', '--xds-address', 'nope'], /--xds-address: /],
    ['malformed --labels', ['--grpc', '--labels', 'novalue'], /--labels: /],
    ['an unknown flag', ['--bogus'], /bogus/],
    ['a relative --cert-dir for Envoy', ['--node', NODE, '--cert-dir', 'certs/client'], /--cert-dir: "certs\/client" must be an absolute path/],
    ['an empty --cert-dir', ['--grpc', '--cert-dir', ''], /--cert-dir: /],
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
