import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsonpatch from 'fast-json-patch';
import { parseDocuments } from '../../src/core/documents.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { injectPod, injectManifest, injectManifestWithReport, readInjectParams, workloadOf } from '../../src/inject/index.js';
import { parseQuantity } from '../../src/inject/quantity.js';
import { encode, decode } from '../../src/xds/proto.js';
import type { KubeObject } from '../../src/core/kube.js';
import { deepFreeze, injectDocument, readHeader } from './harness.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TESTDATA = join(HERE, 'testdata');
const BOOKINFO = join(HERE, '../../../shared/samples/bookinfo/platform');
const files = [...readdirSync(TESTDATA).filter((f) => f.endsWith('.yaml')).map((f) => join(TESTDATA, f)), ...readdirSync(BOOKINFO).filter((f) => f.endsWith('.yaml')).map((f) => join(BOOKINFO, f))];
const opts = { namespace: 'default', mesh: DEFAULT_MESH_CONFIG };

const basePod = (extra: { annotations?: Record<string, string>; spec?: Record<string, unknown> } = {}): KubeObject =>
  deepFreeze({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: extra.spec ?? { containers: [{ name: 'app', image: 'app:1', ports: [{ containerPort: 8080 }] }] },
  });

/** Envoy's JSON takes node.metadata as a plain object; the protobufjs encoder wants google.protobuf.Struct (protobufjs's own camelCase Value fields). */
function toStructValue(v: unknown): Record<string, unknown> {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toStructValue) } };
  return { structValue: { fields: Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, toStructValue(x)])) } };
}

describe('injectPod', () => {
  describe('is idempotent and never mutates its (deep-frozen) input, for every golden case', () => {
    for (const file of files) {
      it(file.slice(file.lastIndexOf('/') + 1), async () => {
        const text = readFileSync(file, 'utf8');
        const header = readHeader(text);
        for (const d of parseDocuments(text, file)) {
          const before = structuredClone(d.value);
          const once = injectDocument(deepFreeze(d.value), header);
          expect(d.value).to.deep.equal(before);
          if (!once.ok) continue;
          const twice = injectDocument(deepFreeze(structuredClone(once.value)), header);
          if (!twice.ok) throw new Error(twice.errors.join('\n'));
          expect(twice.value, `second pass over document ${d.index}`).to.deep.equal(once.value);
        }
      });
    }
  });

  it('only adds (removes the pod own istio-proxy, replaces rewritten probes): no move, and what the pod had is kept, in order', async () => {
    // A probe the sidecar answers (probes.ts): an application container's probe, now asking port 15020.
    const PROBE = /^\/spec\/containers\/\d+\/(livenessProbe|readinessProbe|startupProbe)$/;
    const rewrittenProbe = (op: { op: string; path: string; value?: any }) => op.op === 'replace' && PROBE.test(op.path) && op.value?.httpGet?.port === 15020;
    let rewritten = 0;
    const SIDECAR = new Set(['istio-init', 'istio-proxy']);
    const withoutSidecar = (pod: KubeObject): KubeObject => {
      const out = structuredClone(pod);
      for (const list of ['containers', 'initContainers'] as const) {
        const items = out.spec?.[list] as Array<{ name?: string }> | undefined;
        if (Array.isArray(items)) out.spec[list] = items.filter((c) => !SIDECAR.has(c?.name ?? ''));
      }
      return out;
    };
    let checked = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const header = readHeader(text);
      for (const d of parseDocuments(text, file)) {
        const o = d.value as KubeObject;
        if (o.kind !== 'Pod') continue;
        const r = injectPod(o, { namespace: header.namespace, mesh: header.mesh });
        if (!r.ok || !r.value.decision.inject) continue;
        const where = `${file} document ${d.index}`;
        // The webhook's patch: adds (inserts at an index or appends), the removal of a stale skip reason, and of
        // the pod's own istio-proxy (laid over the injected one).
        const ops = JSON.parse(r.value.patch!) as Array<{ op: string; path: string }>;
        const ownProxy = ['containers', 'initContainers'].map((l) => `/spec/${l}/${((o.spec?.[l] ?? []) as Array<{ name?: string }>).findIndex((c) => c?.name === 'istio-proxy')}`);
        const allowedRemove = (path: string) => path === '/metadata/annotations/sidecar.mizzen.io~1skip-reason' || ownProxy.includes(path);
        expect(ops.filter((op) => op.op !== 'add' && !(op.op === 'remove' && allowedRemove(op.path)) && !rewrittenProbe(op)), where).to.deep.equal([]);
        rewritten += ops.filter(rewrittenProbe).length;
        // Take the sidecar's containers out again: the rest differs from the original only by added keys (and probes).
        const rest = jsonpatch.compare(withoutSidecar(o), withoutSidecar(r.value.pod));
        const inProbe = (path: string) => /^\/spec\/containers\/\d+\/(livenessProbe|readinessProbe|startupProbe)\//.test(path);
        // The application's scrape taken through the sidecar (probes.ts rewriteScrape): its annotations point at 15020.
        const scrape = (path: string) => /^\/metadata\/annotations\/prometheus\.io~1(port|path|scheme)$/.test(path) && r.value.pod.metadata.annotations?.['prometheus.io/port'] === '15020';
        expect(rest.filter((op) => op.op !== 'add' && !op.path.endsWith('/sidecar.mizzen.io~1skip-reason') && !inProbe(op.path) && !scrape(op.path)), where).to.deep.equal([]);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(20);
    expect(rewritten, 'the probe cases rewrite probes').to.be.greaterThan(2);
  });

  it("enablePrometheusMerge (Istio's, default true): false keeps the pod's own scrape unless its merge-metrics annotation asks", () => {
    // The scrape goes through the sidecar where probes do (here by the annotation; by default with mesh certificates).
    const scraping = (more: Record<string, string> = {}) => basePod({ annotations: { 'sidecar.istio.io/rewriteAppHTTPProbers': 'true', 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/stats', ...more } });
    const annotationsOf = (pod: KubeObject, mesh: typeof DEFAULT_MESH_CONFIG) => {
      const r = injectPod(pod, { ...opts, mesh });
      if (!r.ok) throw new Error(r.errors.join());
      const a = r.value.pod.metadata.annotations ?? {};
      return { port: a['prometheus.io/port'], path: a['prometheus.io/path'] };
    };
    const off = { ...DEFAULT_MESH_CONFIG, enablePrometheusMerge: false };
    expect(annotationsOf(scraping(), DEFAULT_MESH_CONFIG)).to.deep.equal({ port: '15020', path: '/app-metrics' });
    expect(annotationsOf(scraping(), off)).to.deep.equal({ port: '8080', path: '/stats' });
    expect(annotationsOf(scraping({ 'prometheus.istio.io/merge-metrics': 'true' }), off)).to.deep.equal({ port: '15020', path: '/app-metrics' });
    expect(annotationsOf(scraping({ 'prometheus.istio.io/merge-metrics': 'false' }), DEFAULT_MESH_CONFIG)).to.deep.equal({ port: '8080', path: '/stats' });
  });

  it("sends istio-init's redirects to the mesh config's capture ports (proxyListenPort, proxyInboundListenPort)", () => {
    const initArgs = (mesh: typeof DEFAULT_MESH_CONFIG): string[] => {
      const r = injectPod(basePod(), { ...opts, mesh });
      if (!r.ok) throw new Error(r.errors.join());
      const init = (r.value.pod.spec.initContainers as Array<{ name: string; args: string[] }>).find((c) => c.name === 'istio-init')!;
      return init.args;
    };
    const flag = (args: string[], f: string): string | undefined => args[args.indexOf(f) + 1];
    const moved = initArgs({ ...DEFAULT_MESH_CONFIG, proxyListenPort: 16001, proxyInboundListenPort: 16006 });
    expect([flag(moved, '-p'), flag(moved, '-z')]).to.deep.equal(['16001', '16006']);
    const usual = initArgs(DEFAULT_MESH_CONFIG);
    expect([flag(usual, '-p'), flag(usual, '-z')]).to.deep.equal(['15001', '15006']);
  });

  it('returns an already injected pod deep-equal, without a skip reason', async () => {
    const first = injectPod(basePod(), opts);
    if (!first.ok) throw new Error(first.errors.join());
    const again = injectPod(deepFreeze(first.value.pod), opts);
    if (!again.ok) throw new Error(again.errors.join());
    expect(again.value.decision).to.include({ inject: false, reason: 'already-injected' });
    expect(again.value.pod).to.deep.equal(first.value.pod);
  });

  it('replaces a stale skip reason when the pod is injected after all', async () => {
    const r = injectPod(basePod({ annotations: { 'sidecar.mizzen.io/skip-reason': 'disabled-by-label' } }), opts);
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.value.pod.metadata.annotations).to.not.have.property('sidecar.mizzen.io/skip-reason');
  });

  it('makes a valid canonical-name label from a Deployment name too long or too odd for a label, as Istio does', async () => {
    const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
    const deployment = `${'a'.repeat(62)}-bcdef-worker`; // 75 characters: a valid Deployment name
    const pod = deepFreeze({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${deployment}-5d9f7c-`,
        namespace: 'default',
        labels: { 'pod-template-hash': '5d9f7c' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${deployment}-5d9f7c`, uid: 'u', controller: true }],
      },
      spec: { containers: [{ name: 'app', image: 'app:1' }] },
    });
    const r = injectPod(pod, opts);
    if (!r.ok) throw new Error(r.errors.join());
    const name = r.value.pod.metadata.labels!['service.istio.io/canonical-name']!;
    expect(name).to.equal('a'.repeat(62)); // cut at 63, then the trailing '-' trimmed
    expect(name).to.match(LABEL_VALUE);
    const proxy = (r.value.pod.spec.containers as Array<{ name: string; args: string[] }>).find((c) => c.name === 'istio-proxy')!;
    expect(proxy.args[proxy.args.indexOf('--service-cluster') + 1]).to.equal(`${name}.$(POD_NAMESPACE)`);
  });

  it('embeds a bootstrap that encodes as envoy.config.bootstrap.v3.Bootstrap and decodes back unchanged', async () => {
    const r = injectPod(basePod(), opts);
    if (!r.ok) throw new Error(r.errors.join());
    const proxy = (r.value.pod.spec.containers as Array<{ name: string; args: string[] }>).find((c) => c.name === 'istio-proxy')!;
    const bootstrap = JSON.parse(proxy.args[proxy.args.indexOf('--config-yaml') + 1]!) as { node: { metadata: Record<string, unknown> } };
    expect(bootstrap.node.metadata).to.include({ NAMESPACE: '$(POD_NAMESPACE)', INSTANCE_IPS: '$(INSTANCE_IP)', WORKLOAD_NAME: 'p' });
    const wire = { ...bootstrap, node: { ...bootstrap.node, metadata: (toStructValue(bootstrap.node.metadata) as { structValue: unknown }).structValue } };
    const T = 'envoy.config.bootstrap.v3.Bootstrap';
    const back = decode(T, encode(T, wire)) as { node: { metadata: unknown } };
    expect({ ...back, node: { ...back.node, metadata: undefined } }).to.deep.equal({ ...bootstrap, node: { ...bootstrap.node, metadata: undefined } });
    expect(back.node.metadata).to.deep.equal(wire.node.metadata);
    expect(proxy.args).to.include.members(['--service-node', 'sidecar~$(INSTANCE_IP)~$(POD_NAME).$(POD_NAMESPACE)~$(POD_NAMESPACE).svc.cluster.local']);
  });

  const bad: Array<{ name: string; pod: KubeObject; errors: string[] }> = [
    { name: 'no spec', pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }, errors: ['spec: required'] },
    { name: 'containers not a list', pod: basePod({ spec: { containers: 'app' } }), errors: ['spec.containers: must be a non-empty list'] },
    { name: 'no containers', pod: basePod({ spec: { containers: [] } }), errors: ['spec.containers: must be a non-empty list'] },
    {
      name: 'initContainers and volumes not lists',
      pod: basePod({ spec: { containers: [{ name: 'a' }], initContainers: {}, volumes: 'v' } }),
      errors: ['spec.initContainers: must be a list', 'spec.volumes: must be a list'],
    },
    {
      name: 'reserved names',
      pod: basePod({ spec: { containers: [{ name: 'a' }], initContainers: [{ name: 'istio-init' }], volumes: [{ name: 'istio-envoy', emptyDir: {} }] } }),
      errors: ['spec.initContainers[0].name: "istio-init" is reserved for the injected sidecar', 'spec.volumes[0].name: "istio-envoy" is reserved for the injected sidecar'],
    },
    { name: 'no metadata', pod: { apiVersion: 'v1', kind: 'Pod' } as unknown as KubeObject, errors: ['metadata: required'] },
    {
      name: 'a bad mesh xdsAddress',
      pod: basePod(),
      errors: ['mesh config xdsAddress: "nowhere" must be host:port'],
    },
  ];
  for (const t of bad) {
    it(`rejects malformed input: ${t.name}`, async () => {
      const r = injectPod(t.pod, t.name.includes('xdsAddress') ? { ...opts, mesh: { ...DEFAULT_MESH_CONFIG, xdsAddress: 'nowhere' } } : opts);
      expect(r).to.deep.equal({ ok: false, errors: t.errors });
    });
  }
});

describe('injection annotations', () => {
  const table: Array<{ annotations: Record<string, string>; error?: string }> = [
    { annotations: { 'sidecar.istio.io/proxyCPU': '100m' } },
    { annotations: { 'sidecar.istio.io/proxyCPU': 'lots' }, error: 'metadata.annotations["sidecar.istio.io/proxyCPU"]: "lots" is not a valid quantity' },
    { annotations: { 'sidecar.istio.io/proxyMemory': '128MB' }, error: 'metadata.annotations["sidecar.istio.io/proxyMemory"]: "128MB" is not a valid quantity' },
    { annotations: { 'sidecar.istio.io/proxyMemory': '' }, error: 'metadata.annotations["sidecar.istio.io/proxyMemory"]: "" is not a valid quantity' },
    { annotations: { 'sidecar.istio.io/proxyCPU': '2', 'sidecar.istio.io/proxyCPULimit': '500m' }, error: 'metadata.annotations["sidecar.istio.io/proxyCPU"]: request "2" is greater than the limit "500m"' },
    { annotations: { 'sidecar.istio.io/logLevel': 'trace' } },
    { annotations: { 'sidecar.istio.io/logLevel': 'WARN' }, error: 'metadata.annotations["sidecar.istio.io/logLevel"]: "WARN" is not a log level (trace|debug|info|warning|error|critical|off)' },
    { annotations: { 'sidecar.istio.io/proxyImage': 'my image' }, error: 'metadata.annotations["sidecar.istio.io/proxyImage"]: "my image" is not an image reference' },
    { annotations: { 'traffic.sidecar.istio.io/includeOutboundIPRanges': '*' } },
    { annotations: { 'traffic.sidecar.istio.io/includeOutboundIPRanges': '' } },
    { annotations: { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '*' }, error: 'metadata.annotations["traffic.sidecar.istio.io/excludeOutboundIPRanges"]: "*" must be the whole value' },
    { annotations: { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '::1/129' }, error: 'metadata.annotations["traffic.sidecar.istio.io/excludeOutboundIPRanges"]: "::1/129" has an invalid prefix length (0-128)' },
    { annotations: { 'traffic.sidecar.istio.io/includeInboundPorts': '0' }, error: 'metadata.annotations["traffic.sidecar.istio.io/includeInboundPorts"]: "0" is not a port (1-65535)' },
    { annotations: { 'traffic.sidecar.istio.io/excludeInboundPorts': '*' }, error: 'metadata.annotations["traffic.sidecar.istio.io/excludeInboundPorts"]: "*" must be the whole value' },
    { annotations: { 'traffic.sidecar.istio.io/includeOutboundPorts': '80, 443 ,' } },
    { annotations: { 'sidecar.istio.io/interceptionMode': 'redirect' }, error: 'metadata.annotations["sidecar.istio.io/interceptionMode"]: "redirect" must be REDIRECT or NONE' },
  ];
  for (const t of table) {
    it(`${JSON.stringify(t.annotations)} -> ${t.error ?? 'ok'}`, async () => {
      const r = readInjectParams(basePod({ annotations: t.annotations }), DEFAULT_MESH_CONFIG);
      if (t.error) expect(r).to.deep.equal({ ok: false, errors: [t.error] });
      else expect(r.ok, r.ok ? '' : r.errors.join()).to.equal(true);
    });
  }
  it('normalises port lists', async () => {
    const r = readInjectParams(basePod({ annotations: { 'traffic.sidecar.istio.io/includeOutboundPorts': ' 80, 443 ,' } }), DEFAULT_MESH_CONFIG);
    expect(r.ok && r.value.traffic.includeOutboundPorts).to.equal('80,443');
  });
  it('reports a bad mesh log level as the mesh config', async () => {
    const r = readInjectParams(basePod(), { ...DEFAULT_MESH_CONFIG, proxyLogLevel: 'loud' });
    expect(r).to.deep.equal({ ok: false, errors: ['mesh config proxyLogLevel: "loud" is not a log level (trace|debug|info|warning|error|critical|off)'] });
  });
});

describe('quantities', () => {
  const table: Array<[string, number | undefined]> = [
    ['100m', 0.1], ['1', 1], ['1.5', 1.5], ['.5', 0.5], ['128Mi', 128 * 2 ** 20], ['1Gi', 2 ** 30], ['1G', 1e9], ['2k', 2000], ['1e3', 1000], ['1E-3', 0.001], ['+1', 1], ['-1', -1],
    ['lots', undefined], ['', undefined], ['1KB', undefined], ['1 Mi', undefined], ['Mi', undefined], ['1.2.3', undefined], ['1mi', undefined],
  ];
  for (const [s, want] of table) it(`${JSON.stringify(s)} -> ${want}`, async () => expect(parseQuantity(s)).to.equal(want));
});

describe('workload of a pod', () => {
  const meta = (m: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: m });
  const owner = (kind: string, name: string, controller = true) => ({ ownerReferences: [{ apiVersion: 'apps/v1', kind, name, controller }] });
  const table: Array<[string, KubeObject, string]> = [
    ['bare pod', meta({ name: 'p' }), 'Pod p v1'],
    ['generateName only', meta({ generateName: 'web-' }), 'Pod web v1'],
    ['nothing', meta({}), 'Pod  v1'],
    ['Deployment via ReplicaSet hash', meta({ generateName: 'r-v1-abc12-', labels: { 'pod-template-hash': 'abc12' }, ...owner('ReplicaSet', 'r-v1-abc12') }), 'Deployment r-v1 apps/v1'],
    ['bare ReplicaSet', meta({ ...owner('ReplicaSet', 'rs') }), 'ReplicaSet rs apps/v1'],
    ['StatefulSet', meta({ name: 'db-0', ...owner('StatefulSet', 'db') }), 'StatefulSet db apps/v1'],
    ['CronJob via Job suffix', meta({ ...owner('Job', 'nightly-28919040') }), 'CronJob nightly batch/v1'],
    ['plain Job', meta({ ...owner('Job', 'migrate') }), 'Job migrate batch/v1'],
    ['non-controller owner is ignored', meta({ name: 'p', ...owner('ReplicaSet', 'rs', false) }), 'Pod p v1'],
  ];
  for (const [name, pod, want] of table) {
    it(name, async () => {
      const w = workloadOf(pod);
      expect(`${w.kind} ${w.name} ${w.apiVersion}`).to.equal(want);
    });
  }
});

describe('injectManifest', () => {
  const mesh = DEFAULT_MESH_CONFIG;
  it('names errors by their path in the workload', async () => {
    const dep = deepFreeze({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { template: { metadata: { annotations: { 'sidecar.istio.io/proxyCPU': 'lots' } }, spec: { containers: [{ name: 'a' }] } } },
    });
    expect(injectManifest(dep, { mesh })).to.deep.equal({ ok: false, errors: ['spec.template.metadata.annotations["sidecar.istio.io/proxyCPU"]: "lots" is not a valid quantity'] });
    const noTemplate = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: {} };
    expect(injectManifest(noTemplate, { mesh })).to.deep.equal({ ok: false, errors: ['spec.jobTemplate.spec.template: required for a CronJob'] });
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }] };
    expect(injectManifest(list, { mesh })).to.deep.equal({ ok: false, errors: ['items[0].spec: required'] });
  });
  it('passes through anything that is not a workload', async () => {
    for (const v of [null, 42, 'text', [], { kind: 'Foo' }, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [] } }]) {
      expect(injectManifest(v, { mesh })).to.deep.equal({ ok: true, value: v });
    }
  });
  it('reports skipped templates and leaves them unchanged', async () => {
    const ds = deepFreeze({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'n', namespace: 'ops' }, spec: { template: { spec: { hostNetwork: true, containers: [{ name: 'a' }] } } } });
    const r = injectManifestWithReport(ds, { mesh });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.value.value).to.equal(ds);
    expect(r.value.injected).to.equal(0);
    expect(r.value.skipped.map((s) => `${s.object} ${s.decision.reason}`)).to.deep.equal(['DaemonSet/ops/n host-network']);
  });
});
