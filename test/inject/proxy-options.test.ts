import { expect } from 'chai';
import { DEFAULT_MESH_CONFIG, resolveMeshConfig, type MeshConfig } from '../../src/config/mesh.js';
import { injectPod, readInjectParams } from '../../src/inject/index.js';
import { readProxyConfig } from '../../src/inject/proxy-config.js';
import { DEFAULT_PROXY_OPTIONS } from '../../src/inject/proxy-options.js';
import { encode, decode, envoyRoot } from '../../src/xds/proto.js';
import { checkPgv } from '../../src/xds/pgv.js';
import type { KubeObject } from '../../src/core/kube.js';
import { deepFreeze } from './harness.js';
import { fromEnvoyJson } from '../../src/xds/envoy-json.js';

type C = { name: string; args?: string[]; env?: Array<{ name: string; value?: string }>; lifecycle?: unknown; volumeMounts?: unknown[]; readinessProbe?: Record<string, unknown>; startupProbe?: unknown };

const pod = (annotations: Record<string, string>, volumes?: unknown[]): KubeObject =>
  deepFreeze({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', annotations },
    spec: { containers: [{ name: 'app', image: 'app:1' }], ...(volumes ? { volumes } : {}) },
  });

function inject(p: KubeObject, mesh: MeshConfig = DEFAULT_MESH_CONFIG) {
  const r = injectPod(p, { namespace: 'default', mesh });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const spec = r.value.pod.spec as { containers: C[]; initContainers?: C[]; volumes: Array<{ name: string }> };
  const proxy = [...spec.containers, ...(spec.initContainers ?? [])].find((c) => c.name === 'istio-proxy')!;
  const bootstrap = JSON.parse(proxy.args![proxy.args!.indexOf('--config-yaml') + 1]!) as Record<string, any>;
  return { spec, proxy, bootstrap, warnings: r.value.warnings ?? [], patch: r.value.patch };
}

function errorsOf(p: KubeObject): string[] {
  const r = injectPod(p, { namespace: 'default', mesh: DEFAULT_MESH_CONFIG });
  if (r.ok) throw new Error('expected a denial');
  return r.errors;
}

const flag = (args: string[], name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

describe('proxy.istio.io/config', () => {
  describe('readProxyConfig', () => {
    it('reads YAML and JSON, by JSON name or proto name', () => {
      const yaml = readProxyConfig('holdApplicationUntilProxyStarts: true\nconcurrency: 3\n');
      const json = readProxyConfig('{"hold_application_until_proxy_starts": true, "concurrency": "3", "proxy_metadata": {"A": "b"}}');
      expect(yaml).to.deep.equal({ ok: true, value: { overrides: { holdApplicationUntilProxyStarts: true, concurrency: 3 }, ignored: [] } });
      expect(json).to.deep.equal({ ok: true, value: { overrides: { holdApplicationUntilProxyStarts: true, concurrency: 3, proxyMetadata: { A: 'b' } }, ignored: [] } });
    });

    it('reads booleans as kubectl does (yes is true) and leaves null fields at their defaults', () => {
      expect(readProxyConfig('holdApplicationUntilProxyStarts: yes\nconcurrency: null')).to.deep.equal({ ok: true, value: { overrides: { holdApplicationUntilProxyStarts: true }, ignored: [] } });
    });

    it('takes an empty value as no overrides', () => {
      expect(readProxyConfig('')).to.deep.equal({ ok: true, value: { overrides: {}, ignored: [] } });
    });

    it('lists the fields it does not apply, and does not fail on them (Istio ignores unknown fields)', () => {
      expect(readProxyConfig('tracing: {sampling: 10}\nstatusPort: 15020\nnotAField: 1')).to.deep.equal({
        ok: true,
        // tracing is read (its customTags and maxPathTagLength): an empty one still replaces defaultConfig's.
        value: { overrides: { tracing: {} }, ignored: ['tracing.sampling', 'statusPort', 'notAField'] },
      });
    });

    it('rejects a key given twice rather than picking one', () => {
      const r = readProxyConfig('concurrency: 1\nconcurrency: 2');
      expect(r.ok).to.equal(false);
    });

    const bad: Array<[string, string]> = [
      ['concurrency: 1.5', 'concurrency: must be a whole number, got 1.5'],
      ['concurrency: "many"', 'concurrency: must be a whole number, got "many"'],
      ['concurrency: 3000000000', 'concurrency: must be a whole number, got 3000000000'],
      ['proxyMetadata: [A]', 'proxyMetadata: must be a mapping of names to strings, got a list of 1'],
      ['proxyMetadata: {"1A": x}', 'proxyMetadata: "1A" is not an environment variable name'],
      ['discoveryAddress: host:0', 'discoveryAddress: "host:0" must be host:port'],
      ['interceptionMode: MAGIC', 'interceptionMode: "MAGIC" must be REDIRECT, TPROXY or NONE'],
      ['"just text"', 'must be a ProxyConfig mapping, got "just text"'],
    ];
    for (const [text, error] of bad) {
      it(`rejects ${JSON.stringify(text)}`, () => {
        expect(readProxyConfig(text)).to.deep.equal({ ok: false, errors: [error] });
      });
    }
  });

  describe('hostile values: a clear error or a bounded warning, never a throw', () => {
    it('deep nesting and alias bombs are invalid YAML', () => {
      const deep = readProxyConfig('['.repeat(20000) + ']'.repeat(20000));
      expect(deep.ok).to.equal(false);
      const bomb = readProxyConfig('a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]');
      expect(bomb).to.deep.include({ ok: false });
      expect((bomb as { errors: string[] }).errors[0]).to.match(/alias/i);
    });
    it('thousands of unknown fields or bad metadata names are named ten at a time', () => {
      const unknown = readProxyConfig(Array.from({ length: 5000 }, (_, i) => `f${i}: 1`).join('\n'));
      expect(unknown.ok && unknown.value.ignored).to.have.length(11);
      const bad = readProxyConfig('proxyMetadata:\n' + Array.from({ length: 5000 }, (_, i) => `  "${i} x": 1`).join('\n'));
      expect(bad.ok).to.equal(false);
      expect((bad as { errors: string[] }).errors[0]!.split(';')).to.have.length(11);
    });
    it('keys like constructor and __proto__ are plain unknown fields', () => {
      expect(readProxyConfig('constructor: 1\n__proto__: 2\ntoString: x')).to.deep.equal({ ok: true, value: { overrides: {}, ignored: ['constructor', '__proto__', 'toString'] } });
    });
    it('a deeply nested userVolume is a denial naming the volume', () => {
      const errors = errorsOf(pod({ 'sidecar.istio.io/userVolume': `{"a":${'['.repeat(50000)}${']'.repeat(50000)}}` }));
      expect(errors).to.deep.equal(['metadata.annotations["sidecar.istio.io/userVolume"]: a: must be an object, got a list of 1']);
    });
  });

  it('leaves pods without proxy annotations on the shared defaults (and their templates), annotations like proxyCPU included', () => {
    for (const a of [{}, { 'sidecar.istio.io/proxyCPU': '200m' }, { 'proxy.istio.io/config': 'binaryPath: /usr/local/bin/envoy' }] as Array<Record<string, string>>) {
      const params = readInjectParams(pod(a), DEFAULT_MESH_CONFIG);
      if (!params.ok) throw new Error(params.errors.join());
      expect(params.value.proxy, JSON.stringify(a)).to.equal(DEFAULT_PROXY_OPTIONS);
    }
  });

  it('holds the application per pod, and a pod can opt out of the mesh default', () => {
    const on = inject(pod({ 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true' }));
    expect(on.spec.containers.map((c) => c.name)).to.deep.equal(['istio-proxy', 'app']);
    expect(on.proxy.lifecycle).to.have.nested.property('postStart.exec.command');
    const off = inject(pod({ 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: false' }), { ...DEFAULT_MESH_CONFIG, holdApplicationUntilProxyStarts: true });
    expect(off.spec.containers.map((c) => c.name)).to.deep.equal(['app', 'istio-proxy']);
    expect(off.proxy.lifecycle).to.not.have.property('postStart');
  });

  it('does not hold a native sidecar (it holds the application by itself)', () => {
    const r = inject(pod({ 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true', 'sidecar.istio.io/nativeSidecar': 'true' }));
    expect(r.proxy.lifecycle).to.not.have.property('postStart');
    expect(r.spec.initContainers!.map((c) => c.name)).to.deep.equal(['istio-init', 'istio-proxy']);
  });

  it("drains as Istio's agent: terminationDrainDuration (5s) in the preStop hook, drainDuration (45s) as Envoy's drain time; the annotation over the mesh's", () => {
    const drainOf = (p: ReturnType<typeof inject>) => ({ drain: flag(p.proxy.args!, '--drain-time-s'), strategy: flag(p.proxy.args!, '--drain-strategy'), hook: (p.proxy.lifecycle as any)?.preStop?.exec?.command?.[2] as string | undefined });
    const usual = drainOf(inject(pod({})));
    expect(usual).to.include({ drain: '45', strategy: 'immediate' });
    expect(usual.hook).to.include('/drain_listeners?inboundonly&graceful').and.include('\nsleep 5\n');
    const mesh = resolveMeshConfig({ defaultConfig: { terminationDrainDuration: '20s', drainDuration: '10s' } });
    if (!mesh.ok) throw new Error(mesh.errors.join());
    const meshWide = drainOf(inject(pod({}), mesh.value));
    expect(meshWide.drain).to.equal('10');
    expect(meshWide.hook).to.include('\nsleep 20\n');
    const own = drainOf(inject(pod({ 'proxy.istio.io/config': 'terminationDrainDuration: 1.5s\ndrain_duration: 30s' }), mesh.value));
    expect(own.drain).to.equal('30');
    expect(own.hook).to.include('\nsleep 1.5\n');
    expect(drainOf(inject(pod({ 'proxy.istio.io/config': 'terminationDrainDuration: 0s' }))).hook, '0s: no drain hook').to.equal(undefined);
  });

  it("EXIT_ON_ZERO_ACTIVE_CONNECTIONS in proxyMetadata drains as Istio's agent does: MINIMUM_DRAIN_DURATION, then until no connection is left", () => {
    const hookOf = (p: ReturnType<typeof inject>) => (p.proxy.lifecycle as any)?.preStop?.exec?.command?.[2] as string;
    const on = inject(pod({ 'proxy.istio.io/config': 'proxyMetadata: {EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"}' }));
    expect(hookOf(on)).to.include('\nsleep 5\n').and.include('GET /stats?usedonly&filter=downstream_cx_active$');
    expect(on.warnings).to.deep.equal([]);
    expect(on.proxy.env!.map((e: any) => e.name)).to.include('EXIT_ON_ZERO_ACTIVE_CONNECTIONS');
    const longer = inject(pod({ 'proxy.istio.io/config': 'proxyMetadata: {EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "True", MINIMUM_DRAIN_DURATION: 10s}' }));
    expect(hookOf(longer)).to.include('\nsleep 10\n');
    const mesh = resolveMeshConfig({ defaultConfig: { proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: '1' } } });
    if (!mesh.ok) throw new Error(mesh.errors.join());
    expect(mesh.warnings ?? []).to.deep.equal([]);
    expect(hookOf(inject(pod({}), mesh.value))).to.include('/stats');
    const off = inject(pod({ 'proxy.istio.io/config': 'proxyMetadata: {EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "false"}' }));
    expect(hookOf(off)).to.include('\nsleep 5\n');
    expect(hookOf(off)).to.not.include('/stats');
    const proto = inject(pod({ 'proxy.istio.io/config': 'proxyMetadata: {EXIT_ON_ZERO_ACTIVE_CONNECTIONS: toString}' }));
    expect(hookOf(proto)).to.not.include('/stats');
    expect(proto.warnings[0]).to.match(/EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "toString" is not a boolean, taken as false$/);
    const bad = inject(pod({ 'proxy.istio.io/config': 'proxyMetadata: {EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "yes"}' }));
    expect(hookOf(bad)).to.not.include('/stats');
    expect(bad.warnings[0]).to.match(/EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "yes" is not a boolean, taken as false$/);
    const badMin = inject(pod({ 'proxy.istio.io/config': 'proxyMetadata: {EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true", MINIMUM_DRAIN_DURATION: soon}' }));
    expect(hookOf(badMin)).to.include('\nsleep 5\n');
    expect(badMin.warnings[0]).to.match(/MINIMUM_DRAIN_DURATION: "soon" is not a duration in whole milliseconds, 5s taken$/);
  });

  it('denies a drain duration that is not one, naming the annotation and the field', () => {
    const at = 'metadata.annotations["proxy.istio.io/config"]';
    expect(errorsOf(pod({ 'proxy.istio.io/config': 'terminationDrainDuration: soon' }))).to.deep.equal([`${at}: terminationDrainDuration: "soon" must be a duration of 0s or more and at most 24h, in whole milliseconds, e.g. "5s"`]);
    expect(errorsOf(pod({ 'proxy.istio.io/config': 'terminationDrainDuration: -1s' }))[0]).to.include('terminationDrainDuration: "-1s" must be');
    expect(errorsOf(pod({ 'proxy.istio.io/config': 'terminationDrainDuration: 48h' }))[0]).to.include('at most 24h');
    expect(errorsOf(pod({ 'proxy.istio.io/config': 'drainDuration: 1500ms' }))).to.deep.equal([`${at}: drainDuration: "1500ms" must be whole seconds (Envoy's drain time)`]);
    expect(errorsOf(pod({ 'proxy.istio.io/config': 'drainDuration: 0s' }))[0]).to.include('at least 1ms');
    expect(errorsOf(pod({ 'proxy.istio.io/config': 'drainDuration: 45' }))[0]).to.include('drainDuration: 45 must be');
    const mesh = resolveMeshConfig({ defaultConfig: { terminationDrainDuration: 'later' } });
    expect(mesh.ok ? [] : mesh.errors).to.deep.equal(['defaultConfig.terminationDrainDuration: "later" must be a duration of 0s or more and at most 24h, in whole milliseconds, e.g. "5s"']);
  });

  it('ISTIO_META_ENABLE_SELF_DISCOVERY: the bootstrap gets local_cluster and the pod\'s locality; warned without a zone or a boolean', () => {
    const labelled = (labels: Record<string, string>, value: string): KubeObject =>
      deepFreeze({ ...pod({ 'proxy.istio.io/config': `proxyMetadata: {ISTIO_META_ENABLE_SELF_DISCOVERY: "${value}"}` }), metadata: { name: 'p', namespace: 'default', labels, annotations: { 'proxy.istio.io/config': `proxyMetadata: {ISTIO_META_ENABLE_SELF_DISCOVERY: "${value}"}` } } });
    const on = inject(labelled({ app: 'web', 'topology.istio.io/locality': 'us-east1.us-east1-b' }, 'true'));
    expect(on.warnings).to.deep.equal([]);
    expect(on.bootstrap.cluster_manager).to.deep.equal({ local_cluster_name: 'local_cluster' });
    expect(on.bootstrap.static_resources.clusters.map((c: any) => c.name)).to.include('local_cluster');
    expect(on.bootstrap.node.locality).to.deep.equal({ region: 'us-east1', zone: 'us-east1-b' });
    expect(on.bootstrap.node.metadata.ENABLE_SELF_DISCOVERY).to.equal('true');
    expect(checkPgv(envoyRoot(), 'envoy.config.bootstrap.v3.Bootstrap', on.bootstrap)).to.deep.equal([]);
    // Kubernetes' topology labels, and Go's spellings.
    expect(inject(labelled({ 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'z' }, '1')).bootstrap.node.locality).to.deep.equal({ region: 'r', zone: 'z' });
    const noZone = inject(labelled({ app: 'web' }, 'True'));
    expect(noZone.bootstrap.cluster_manager).to.deep.equal({ local_cluster_name: 'local_cluster' });
    expect(noZone.bootstrap.node).to.not.have.property('locality');
    expect(noZone.warnings).to.deep.equal(['proxyMetadata ISTIO_META_ENABLE_SELF_DISCOVERY: the pod names no zone (label topology.istio.io/locality, or topology.kubernetes.io/region and zone): Envoy routes by zone only where it knows its own']);
    const bad = inject(labelled({ app: 'web' }, 'maybe'));
    expect(bad.bootstrap).to.not.have.property('cluster_manager');
    expect(bad.warnings).to.deep.equal(['proxyMetadata ISTIO_META_ENABLE_SELF_DISCOVERY: "maybe" is not a boolean, taken as false']);
    const off = inject(labelled({ app: 'web' }, 'false'));
    expect([off.bootstrap.cluster_manager, off.warnings]).to.deep.equal([undefined, []]);
  });

  it("warns of Istio agent settings in proxyMetadata, which nothing reads here (set all the same); not of others", () => {
    const warned = inject(pod({ 'proxy.istio.io/config': 'proxyMetadata: {ISTIO_META_DNS_CAPTURE: "true", OUTPUT_CERTS: /etc/istio/proxy, MY_FLAG: "1"}' }));
    expect(warned.warnings).to.deep.equal([
      'metadata.annotations["proxy.istio.io/config"]: proxyMetadata: ISTIO_META_DNS_CAPTURE (mizzen\'s sidecars run no DNS proxy: the pod\'s DNS queries go to the cluster\'s resolver); OUTPUT_CERTS (certificates come from the workload certificate Secret, not from an agent\'s certificate request): read by Istio\'s node agent, which mizzen\'s sidecars do not run (set, not applied)',
    ]);
    expect(warned.proxy.env!.map((e: any) => e.name)).to.include.members(['ISTIO_META_DNS_CAPTURE', 'OUTPUT_CERTS', 'MY_FLAG']);
    expect(inject(pod({ 'proxy.istio.io/config': 'proxyMetadata: {MY_FLAG: "1"}' })).warnings).to.deep.equal([]);
    const mesh = resolveMeshConfig({ defaultConfig: { proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true' } } });
    expect(mesh.ok && mesh.warnings).to.deep.equal([
      "defaultConfig.proxyMetadata: ISTIO_META_DNS_CAPTURE (mizzen's sidecars run no DNS proxy: the pod's DNS queries go to the cluster's resolver): read by Istio's node agent, which mizzen's sidecars do not run (set, not applied)",
    ]);
    // Said once, where the mesh config loads: not again on every pod.
    if (!mesh.ok) throw new Error('mesh');
    expect(inject(pod({}), mesh.value).warnings).to.deep.equal([]);
  });

  it('sets Envoy concurrency, or leaves it to Envoy with 0', () => {
    expect(flag(inject(pod({})).proxy.args!, '--concurrency')).to.equal('2');
    expect(flag(inject(pod({ 'proxy.istio.io/config': 'concurrency: 8' })).proxy.args!, '--concurrency')).to.equal('8');
    expect(inject(pod({ 'proxy.istio.io/config': 'concurrency: 0' })).proxy.args).to.not.include('--concurrency');
  });

  it('adds proxyMetadata to the environment after mizzen own, and ISTIO_META_* to the node metadata (not LABELS)', () => {
    const r = inject(pod({ 'proxy.istio.io/config': 'proxyMetadata: {ISTIO_META_CLUSTER_ID: east, ISTIO_META_LABELS: x, ISTIO_META_DNS_CAPTURE: "true", PLAIN: "1"}' }));
    const env = r.proxy.env!;
    expect(env.slice(-4)).to.deep.equal([
      { name: 'ISTIO_META_CLUSTER_ID', value: 'east' },
      { name: 'ISTIO_META_LABELS', value: 'x' },
      { name: 'ISTIO_META_DNS_CAPTURE', value: 'true' },
      { name: 'PLAIN', value: '1' },
    ]);
    const meta = r.bootstrap.node.metadata;
    expect(meta).to.include({ CLUSTER_ID: 'east', DNS_CAPTURE: 'true', NAMESPACE: '$(POD_NAMESPACE)' });
    expect(meta.LABELS).to.be.an('object');
    expect(meta).to.not.have.property('PLAIN');
  });

  it('points the bootstrap at the pod own discoveryAddress, a valid Bootstrap', () => {
    const r = inject(pod({ 'proxy.istio.io/config': 'discoveryAddress: 10.0.0.9:15012' }));
    const xds = r.bootstrap.static_resources.clusters.find((c: { name: string }) => c.name === 'xds-grpc');
    expect(xds.type).to.equal('STATIC');
    expect(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).to.deep.equal({ address: '10.0.0.9', port_value: 15012 });
    const T = 'envoy.config.bootstrap.v3.Bootstrap';
    const { node: _node, ...rest } = r.bootstrap;
    expect(decode(T, encode(T, rest))).to.deep.equal(rest);
  });

  it('takes interceptionMode from ProxyConfig, and the annotation over it', () => {
    expect(inject(pod({ 'proxy.istio.io/config': 'interceptionMode: NONE' })).spec.initContainers).to.equal(undefined);
    const both = inject(pod({ 'proxy.istio.io/config': 'interceptionMode: NONE', 'sidecar.istio.io/interceptionMode': 'REDIRECT' }));
    expect(both.spec.initContainers!.map((c) => c.name)).to.deep.equal(['istio-init']);
  });

  it('denies a value that does not parse, naming the annotation', () => {
    expect(errorsOf(pod({ 'proxy.istio.io/config': 'concurrency: [' }))[0]).to.match(/^metadata\.annotations\["proxy\.istio\.io\/config"\]: is not valid YAML or JSON: /);
  });

  it('admits a pod with fields it does not apply, with a warning that names them', () => {
    expect(inject(pod({ 'proxy.istio.io/config': 'concurrency: 2\ntracing: {zipkin: {address: "z:9411"}}\nbinaryPath: /usr/local/bin/envoy' })).warnings).to.deep.equal([
      'metadata.annotations["proxy.istio.io/config"]: tracing.zipkin, binaryPath not applied by mizzen (ignored)',
    ]);
  });
});

describe('sidecar.istio.io/userVolume and userVolumeMount', () => {
  it('adds the volume to the pod and the mounts to istio-proxy; the key is the name', () => {
    const r = inject(
      pod(
        {
          'sidecar.istio.io/userVolume': '{"certs":{"name":"ignored","secret":{"secretName":"c"}}}',
          'sidecar.istio.io/userVolumeMount': '{"certs":{"mountPath":"/etc/c","readOnly":true},"data":{"mountPath":"/d"}}',
        },
        [{ name: 'data', emptyDir: {} }],
      ),
    );
    expect(r.spec.volumes).to.deep.equal([{ name: 'data', emptyDir: {} }, { name: 'istio-envoy', emptyDir: { medium: 'Memory' } }, { name: 'certs', secret: { secretName: 'c' } }]);
    expect(r.proxy.volumeMounts).to.deep.equal([
      { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
      { name: 'certs', mountPath: '/etc/c', readOnly: true },
      { name: 'data', mountPath: '/d' },
    ]);
  });

  it('denies what the API server would refuse later, each problem named', () => {
    expect(
      errorsOf(pod({ 'sidecar.istio.io/userVolume': '{"data":{"emptyDir":{}},"x":"y"}', 'sidecar.istio.io/userVolumeMount': '{"nope":{"mountPath":"/n"}}' }, [{ name: 'data', emptyDir: {} }])),
    ).to.deep.equal([
      'metadata.annotations["sidecar.istio.io/userVolume"]: x: must be an object, got "y"',
      'metadata.annotations["sidecar.istio.io/userVolume"]: data: the pod already has a volume of that name',
      'metadata.annotations["sidecar.istio.io/userVolumeMount"]: nope: the pod has no volume of that name (add it to the pod or to sidecar.istio.io/userVolume)',
    ]);
    expect(errorsOf(pod({ 'sidecar.istio.io/userVolume': '[]' }))).to.deep.equal(['metadata.annotations["sidecar.istio.io/userVolume"]: must be a JSON object from volume names to their specs']);
  });
});

describe('the other proxy annotations', () => {
  it('passes componentLogLevel to Envoy after --log-level', () => {
    const args = inject(pod({ 'sidecar.istio.io/componentLogLevel': 'upstream:debug,connection:trace' })).proxy.args!;
    expect(args.slice(args.indexOf('--log-level'), args.indexOf('--log-level') + 4)).to.deep.equal(['--log-level', 'warning', '--component-log-level', 'upstream:debug,connection:trace']);
  });

  it('sets the readiness probe from readiness.status.sidecar.istio.io/*, the startup probe unchanged', () => {
    const r = inject(pod({ 'readiness.status.sidecar.istio.io/periodSeconds': '5', 'readiness.status.sidecar.istio.io/initialDelaySeconds': '0' }));
    expect(r.proxy.readinessProbe).to.deep.equal({ httpGet: { path: '/healthz/ready', port: 15021 }, initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 4 });
    expect(r.proxy.startupProbe).to.deep.equal(inject(pod({})).proxy.startupProbe);
  });

  it('drops both probes for status port "0", and warns about any other status port', () => {
    const none = inject(pod({ 'status.sidecar.istio.io/port': '0' }));
    expect(none.proxy).to.not.have.any.keys('readinessProbe', 'startupProbe');
    const other = inject(pod({ 'status.sidecar.istio.io/port': '15020' }));
    expect(other.proxy.readinessProbe).to.not.equal(undefined);
    expect(other.warnings).to.have.length(1);
  });

  it('leaves excludeInterfaces out of the redirect (iptables -c), as mizzen iptables reads it', () => {
    const init = inject(pod({ 'traffic.sidecar.istio.io/excludeInterfaces': ' eth1 , net1' })).spec.initContainers![0]!;
    expect(flag(init.args!, '-c')).to.equal('eth1,net1');
    expect(inject(pod({})).spec.initContainers![0]!.args).to.not.include('-c');
  });

  it('sets Envoy histogram buckets by stat prefix from statsHistogramBuckets, in a bootstrap that encodes', () => {
    const r = inject(pod({ 'sidecar.istio.io/statsHistogramBuckets': '{"cluster.xds-grpc":[10,1,5],"istiocustom":[1,5,10,50,100]}' }));
    expect(r.bootstrap.stats_config).to.deep.equal({
      histogram_bucket_settings: [
        { match: { prefix: 'cluster.xds-grpc' }, buckets: [1, 5, 10] },
        { match: { prefix: 'istiocustom' }, buckets: [1, 5, 10, 50, 100] },
      ],
    });
    expect(r.warnings).to.deep.equal([]);
    const T = 'envoy.config.bootstrap.v3.Bootstrap';
    const { node: _node, ...rest } = r.bootstrap;
    expect(decode(T, encode(T, rest))).to.deep.equal(rest);
    expect(checkPgv(envoyRoot(), T, rest)).to.deep.equal([]);
    expect(inject(pod({})).bootstrap).to.not.have.property('stats_config');
  });

  it('denies statsHistogramBuckets that Envoy would refuse, naming the annotation', () => {
    const key = 'sidecar.istio.io/statsHistogramBuckets';
    const at = `metadata.annotations["${key}"]: `;
    expect(errorsOf(pod({ [key]: '{oops' }))[0]).to.match(/^metadata\.annotations\["sidecar\.istio\.io\/statsHistogramBuckets"\]: is not valid JSON: /);
    expect(errorsOf(pod({ [key]: '[1,2]' }))).to.deep.equal([`${at}must be a JSON object of stat prefixes to lists of bucket bounds, got a list of 2`]);
    expect(errorsOf(pod({ [key]: '{"a":[]}' }))).to.deep.equal([`${at}"a": must be a non-empty list of numbers, got a list of 0`]);
    expect(errorsOf(pod({ [key]: '{"a":[0,1]}' }))).to.deep.equal([`${at}"a": every bound must be a number above 0`]);
    expect(errorsOf(pod({ [key]: '{"a":["5"]}' }))).to.deep.equal([`${at}"a": every bound must be a number above 0`]);
    expect(errorsOf(pod({ [key]: '{"a":[1,2,1]}' }))).to.deep.equal([`${at}"a": a bound appears twice`]);
    expect(errorsOf(pod({ [key]: '{"":[1]}' }))).to.deep.equal([`${at}a prefix must not be empty`]);
    expect(errorsOf(pod({ [key]: JSON.stringify({ a: Array.from({ length: 201 }, (_, i) => i + 1) }) }))).to.deep.equal([`${at}"a": has 201 bounds, more than 200`]);
    expect(errorsOf(pod({ [key]: JSON.stringify(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`p${i}`, [1]]))) }))).to.deep.equal([`${at}has 51 prefixes, more than 50`]);
  });

  it('sets Envoy stats_flush_interval from statsFlushInterval, in a bootstrap that encodes; refuses what Envoy would', () => {
    const key = 'sidecar.istio.io/statsFlushInterval';
    const r = inject(pod({ [key]: '1m30.5s' }));
    // A Duration as Envoy's JSON parser takes it: text, never {seconds, nanos}.
    expect(r.bootstrap.stats_flush_interval).to.equal('90.500s');
    expect(r.warnings).to.deep.equal([]);
    const T = 'envoy.config.bootstrap.v3.Bootstrap';
    const { node: _node, ...rest } = r.bootstrap;
    const read = fromEnvoyJson(T, rest, 'bootstrap');
    expect(read.errors).to.deep.equal([]);
    expect((read.value as any).stats_flush_interval).to.deep.equal({ seconds: 90, nanos: 500_000_000 });
    expect(decode(T, encode(T, read.value))).to.deep.equal(read.value);
    expect(checkPgv(envoyRoot(), T, read.value)).to.deep.equal([]);
    expect(inject(pod({ [key]: '250ms' })).bootstrap.stats_flush_interval).to.equal('0.250s');
    expect(inject(pod({})).bootstrap).to.not.have.property('stats_flush_interval');
    const why = (v: string) => `metadata.annotations["${key}"]: "${v}" must be a duration of at least 1ms and under 5m, e.g. "10s"`;
    for (const v of ['10', 'soon', '500us', '5m', '-1s', '']) expect(errorsOf(pod({ [key]: v })), v).to.deep.equal([why(v)]);
  });

  it('warns about Istio annotations it does not apply, and not about look-alike keys', () => {
    expect(inject(pod({ 'sidecar.istio.io/agentLogLevel': 'debug', 'sidecar.istio.io/statsInclusionPrefixes': 'x', 'readiness.status.sidecar.istio.io/applicationPorts': '9080' })).warnings).to.deep.equal([
      'metadata.annotations["sidecar.istio.io/agentLogLevel"]: not supported by mizzen, ignored (the sidecar runs Envoy without istio-agent)',
      'metadata.annotations["sidecar.istio.io/statsInclusionPrefixes"]: not supported by mizzen, ignored (the sidecar keeps every Envoy stat: there is nothing to include)',
      'metadata.annotations["readiness.status.sidecar.istio.io/applicationPorts"]: not supported by mizzen, ignored (Envoy\'s own readiness (15021) does not probe application ports)',
    ]);
    const p = deepFreeze({ ...pod({}), metadata: { name: 'p', annotations: JSON.parse('{"__proto__": "x", "constructor": "y", "toString": "z"}') } });
    expect(inject(p).warnings).to.deep.equal([]);
  });
});
