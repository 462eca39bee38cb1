import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { TypeUrls } from '../../../src/core/constants.js';
import { DEFAULT_MESH_CONFIG } from '../../../src/config/mesh.js';
import { silentLogger } from '../../../src/core/log.js';
import { startServe, type RunningServe } from '../../../src/cmd/serve.js';
import type { XdsComponent } from '../../../src/xds/server/component.js';
import { RawAds, node } from './harness.js';
import { pod, service } from './fixtures.js';
import { run as proxyConfig } from '../../../src/cmd/proxy-config.js';
import { captureOutput } from '../../support/cli.js';

const docs = (...objs: object[]): string => objs.map((o) => stringify(o)).join('---\n');

/** mizzen serve on a fresh config directory holding `files` (name → text). */
async function serveDir(prefix: string, files: Record<string, string>): Promise<{ dir: string; running: RunningServe }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const running = await startServe({ webhookPort: 0, monitoringPort: 0, xdsPort: 0, host: '127.0.0.1', mesh: DEFAULT_MESH_CONFIG, configDir: dir, log: silentLogger });
  return { dir, running };
}

async function stopServe(running: RunningServe | undefined, dir: string): Promise<void> {
  await running?.shutdown();
  rmSync(dir, { recursive: true, force: true });
}

describe('mizzen serve with --config-dir: file → store → xDS', () => {
  let dir: string;
  let running: RunningServe;
  let client: RawAds;
  before(async () => {
    ({ dir, running } = await serveDir('mizzen-serve-xds-', { 'mesh.yaml': docs(service('reviews'), pod('reviews-v1', 'reviews', '10.1.0.1')) }));
  });
  after(async () => {
    client?.close();
    await stopServe(running, dir);
  });

  it('serves the directory over ADS and pushes an edit of a file', async () => {
    const xds = running.components.find((c) => c.name === 'xds') as XdsComponent;
    client = new RawAds(xds.port());
    const EDS = 'outbound|9080||reviews.default.svc.cluster.local';
    client.send({ node: node('productpage'), type_url: TypeUrls.endpoint, resource_names: [EDS] });
    const first = await client.next();
    expect(JSON.stringify(first.resources)).to.contain('10.1.0.1');
    client.ack(first, [EDS]);
    writeFileSync(join(dir, 'mesh.yaml'), docs(service('reviews'), pod('reviews-v1', 'reviews', '10.1.0.1'), pod('reviews-v2', 'reviews', '10.1.0.2')));
    const pushed = await client.next(10_000);
    expect(JSON.stringify(pushed.resources)).to.contain('10.1.0.2');
    client.ack(pushed, [EDS]);
    await xds.server()!.settled();
  });

  it('mounts syncz and configz (with config errors) on the monitoring server', async () => {
    writeFileSync(join(dir, 'broken.yaml'), 'kind: [oops\n');
    const xds = running.components.find((c) => c.name === 'xds') as XdsComponent;
    const base = `http://127.0.0.1:${running.ports.monitoring}`;
    let configz: any;
    do {
      await new Promise((r) => setTimeout(r, 20));
      configz = await (await fetch(`${base}/debug/configz`)).json();
    } while (configz.errors.length === 0);
    expect(configz.errors[0].file).to.equal(join(dir, 'broken.yaml'));
    const syncz = (await (await fetch(`${base}/debug/syncz`)).json()) as any[];
    expect(syncz.map((s) => s.id)).to.deep.equal([node('productpage').id]);
    expect(xds.store.list().map((o) => o.kind).sort()).to.deep.equal(['Pod', 'Pod', 'Service']);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).to.match(/pilot_xds 1/);
    expect(metrics).to.match(/mizzen_config_errors_total 1/);
  });
});

describe('mizzen serve with --config-dir: an EnvoyFilter reaches the Envoy proxies it selects', () => {
  let dir: string;
  let running: RunningServe;
  let client: RawAds;
  const buffer = (value: number) => ({
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: 'buffers', namespace: 'default' },
    spec: { configPatches: [{ applyTo: 'LISTENER', match: { context: 'SIDECAR_OUTBOUND', listener: { name: 'virtualOutbound' } }, patch: { operation: 'MERGE', value: { perConnectionBufferLimitBytes: value } } }] },
  });
  before(async () => {
    ({ dir, running } = await serveDir('mizzen-serve-ef-', { 'mesh.yaml': docs(service('reviews'), pod('reviews-v1', 'reviews', '10.1.0.1')), 'filter.yaml': docs(buffer(4096)) }));
  });
  after(async () => {
    client?.close();
    await stopServe(running, dir);
  });

  it('serves the patched listener, pushes an edit, and keeps the last good filter when an edit does not validate', async () => {
    const xds = running.components.find((c) => c.name === 'xds') as XdsComponent;
    client = new RawAds(xds.port());
    const limit = (r: { resources: any[] }) => r.resources.find((l) => l.name === 'virtualOutbound')?.per_connection_buffer_limit_bytes?.value;
    client.send({ node: node('productpage'), type_url: TypeUrls.listener, resource_names: [] });
    const first = await client.next();
    expect(limit(first)).to.equal(4096);
    client.ack(first, []);
    writeFileSync(join(dir, 'filter.yaml'), docs(buffer(8192)));
    const pushed = await client.next(10_000);
    expect(limit(pushed)).to.equal(8192);
    client.ack(pushed, []);
    // A value of the wrong type is refused by validation: reported, and the filter in force stays.
    const bad = buffer(1) as any;
    bad.spec.configPatches[0].patch.value.perConnectionBufferLimitBytes = 'lots';
    writeFileSync(join(dir, 'filter.yaml'), docs(bad));
    const base = `http://127.0.0.1:${running.ports.monitoring}`;
    let configz: any;
    do {
      await new Promise((r) => setTimeout(r, 20));
      configz = await (await fetch(`${base}/debug/configz`)).json();
    } while (configz.errors.length === 0);
    expect(configz.errors[0].message).to.contain('spec.configPatches[0].patch.value.perConnectionBufferLimitBytes: expected a whole number');
    expect(configz.errors[0].keptLastGood).to.equal(true);
    const stored = xds.store.list().find((o) => o.kind === 'EnvoyFilter') as any;
    expect(stored.spec.configPatches[0].patch.value.perConnectionBufferLimitBytes).to.equal(8192);
    await xds.server()!.settled();
  });

  it('mizzen proxy-config <proxy> envoyfilters says which patches apply to the proxy, which match nothing, and which cannot apply', async () => {
    const filter = buffer(4096) as any;
    filter.spec.configPatches.push(
      { applyTo: 'LISTENER', match: { context: 'SIDECAR_OUTBOUND', listener: { name: 'no-such-listener' } }, patch: { operation: 'MERGE', value: { perConnectionBufferLimitBytes: 1 } } },
      { applyTo: 'BOOTSTRAP', patch: { operation: 'MERGE', value: { node: { cluster: 'x' } } } },
    );
    writeFileSync(join(dir, 'filter.yaml'), docs(filter));
    const addr = `127.0.0.1:${running.ports.monitoring}`;
    let out = '';
    do {
      await new Promise((r) => setTimeout(r, 20));
      out = (await captureOutput(() => proxyConfig(['productpage', 'envoyfilters', '--names', '--addr', addr]))).out;
    } while (!out.includes('#2'));
    expect(out.split('\n')).to.deep.equal([
      'default/buffers#0 applied',
      'default/buffers#1 unmatched: its match finds nothing in what this proxy gets',
      'default/buffers#2 skipped: BOOTSTRAP: mizzen writes the bootstrap at injection and serves no extension configs',
      '',
    ]);
    const json = JSON.parse((await captureOutput(() => proxyConfig(['productpage', 'envoyfilters', '--addr', addr]))).out);
    expect(json[0]).to.deep.equal({ filter: 'default/buffers', index: 0, applyTo: 'LISTENER', operation: 'MERGE', status: 'applied' });
  });
});

describe('mizzen serve: xDS over TLS (15012) with a certificate from the mesh CA', () => {
  let dir: string;
  let certs: string;
  let running: RunningServe;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mizzen-serve-tls-'));
    writeFileSync(join(dir, 'mesh.yaml'), docs(service('reviews'), pod('reviews-v1', 'reviews', '10.1.0.1')));
    certs = mkdtempSync(join(tmpdir(), 'mizzen-serve-tls-certs-'));
    // An empty certs directory: serve writes the webhook certificate and the mesh CA into it.
    running = await startServe({ webhookPort: 0, monitoringPort: 0, xdsPort: 0, xdsTlsPort: 0, host: '127.0.0.1', certsDir: certs, mesh: DEFAULT_MESH_CONFIG, configDir: dir, log: silentLogger });
  });
  after(async () => {
    await stopServe(running, dir);
    rmSync(certs, { recursive: true, force: true });
  });
  const xds = () => running.components.find((c) => c.name === 'xds') as XdsComponent;

  it('serves ADS over TLS to a client that trusts the mesh CA and checks the name sidecars check, and plaintext on its own port still', async () => {
    expect(xds().tlsPort()).to.be.greaterThan(0);
    // What an injected sidecar's bootstrap checks: the mesh CA (its root-cert.pem) and the host of xdsTlsAddress.
    const serverName = DEFAULT_MESH_CONFIG.xdsTlsAddress.split(':')[0]!;
    const tls = new RawAds(xds().tlsPort(), false, { ca: readFileSync(join(certs, 'mesh-ca.crt'), 'utf8'), serverName });
    const plain = new RawAds(xds().port());
    try {
      for (const c of [tls, plain]) {
        c.send({ node: node('productpage'), type_url: TypeUrls.cluster });
        expect((await c.next()).resources.map((r) => r.name)).to.include('outbound|9080||reviews.default.svc.cluster.local');
      }
    } finally {
      tls.close();
      plain.close();
    }
  });

  it('refuses a client that does not trust the mesh CA, and a plaintext client on the TLS port; keeps serving', async () => {
    const other = new RawAds(xds().tlsPort(), false, { ca: readFileSync(join(certs, 'ca.crt'), 'utf8') });
    const plaintext = new RawAds(xds().tlsPort());
    try {
      for (const c of [other, plaintext]) {
        c.send({ node: node('productpage'), type_url: TypeUrls.cluster });
        expect((await c.ended(10_000)).code).to.equal(grpc.status.UNAVAILABLE);
      }
      const again = new RawAds(xds().tlsPort(), false, { ca: readFileSync(join(certs, 'mesh-ca.crt'), 'utf8') });
      again.send({ node: node('productpage'), type_url: TypeUrls.cluster });
      expect((await again.next()).type_url).to.equal(TypeUrls.cluster);
      again.close();
    } finally {
      other.close();
      plaintext.close();
    }
  });

  it('is off, said in the log, without a mesh CA (no --certs-dir)', async () => {
    const lines: string[] = [];
    const log = { ...silentLogger, info: (...a: unknown[]) => void lines.push(String(a.at(-1))), child: () => log } as unknown as typeof silentLogger;
    const bare = await startServe({ webhookPort: 0, monitoringPort: 0, xdsPort: 0, xdsTlsPort: 0, host: '127.0.0.1', mesh: DEFAULT_MESH_CONFIG, configDir: dir, log });
    try {
      expect((bare.components.find((c) => c.name === 'xds') as XdsComponent).tlsPort()).to.equal(0);
      expect(lines.join('\n')).to.contain('xds over TLS is off: no --certs-dir');
    } finally {
      await bare.shutdown();
    }
  });
});

describe('mizzen serve with --config-dir: a WasmPlugin reaches the proxies it selects, over the wire', () => {
  let dir: string;
  let running: RunningServe;
  let client: RawAds;
  const sha = 'b'.repeat(64);
  const plugin = {
    apiVersion: 'extensions.istio.io/v1alpha1',
    kind: 'WasmPlugin',
    metadata: { name: 'headers', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'reviews' } }, url: 'https://wasm.example.com/headers.wasm', sha256: sha, phase: 'STATS', pluginConfig: { header: 'x-wasm' }, failStrategy: 'FAIL_OPEN' },
  };
  before(async () => {
    ({ dir, running } = await serveDir('mizzen-serve-wasm-', { 'mesh.yaml': docs(service('reviews'), pod('reviews-v1', 'reviews', '10.1.0.1')), 'wasm.yaml': docs(plugin) }));
  });
  after(async () => {
    client?.close();
    await stopServe(running, dir);
  });

  it('the selected sidecar gets the Wasm filter in LDS and the cluster of its code in CDS, decoded as Envoy decodes them', async () => {
    const xds = running.components.find((c) => c.name === 'xds') as XdsComponent;
    client = new RawAds(xds.port());
    const reviews = node('reviews-v1', 'default', { LABELS: { app: 'reviews' } });
    client.send({ node: reviews, type_url: TypeUrls.cluster, resource_names: [] });
    const cds = await client.next();
    const cluster = (cds.resources as any[]).find((c) => c.name === 'wasm|https|wasm.example.com|443');
    expect(cluster?.transport_socket?.typed_config?.sni).to.equal('wasm.example.com');
    client.ack(cds, []);
    client.send({ node: reviews, type_url: TypeUrls.listener, resource_names: [] });
    const lds = await client.next();
    const inbound = (lds.resources as any[]).find((l) => l.name === 'virtualInbound');
    const chain = inbound.filter_chains.find((c: any) => c.name === 'inbound|9080||');
    const wasm = chain.filters[0].typed_config.http_filters.find((f: any) => f.name === 'extensions.istio.io/wasmplugin/default.headers');
    expect(wasm.typed_config.config).to.deep.include({ name: 'default.headers', fail_open: true });
    expect(wasm.typed_config.config.configuration).to.deep.equal({ '@type': 'type.googleapis.com/google.protobuf.StringValue', value: '{"header":"x-wasm"}' });
    expect(wasm.typed_config.config.vm_config.code.remote).to.deep.include({ sha256: sha });
    client.ack(lds, []);
    await xds.server()!.settled();
  });
});
