/**
 * Telemetry resources (telemetry.istio.io) and the mesh config's extensionProviders/defaultProviders: which access
 * logs and tracer each connection manager and tcp_proxy of a sidecar or gateway gets, composed as istiod does.
 */
import { expect } from 'chai';
import { buildSnapshot, updateSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { applicableTelemetries, loggingSpec, tracingSpec } from '../../../src/xds/gen/telemetry.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { ROOT_NAMESPACES, TypeUrls } from '../../../src/core/constants.js';
import { objectKey, type KubeObject } from '../../../src/core/kube.js';
import type { Config } from '../../../src/model/types.js';
import { decode, encode } from '../../../src/xds/proto.js';
import { planReuse } from '../../../src/xds/server/reuse.js';
import { GATEWAY, MYSQL_SERVICE, PRODUCTPAGE, REVIEWS_V1, bookinfo, expectValid, proxy, yamlObjects, ZIPKIN_SERVICE } from './helpers.js';

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP = 'envoy.filters.network.tcp_proxy';
const FILE_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';

let created = 0;
/** A Telemetry; each one made later is younger (creation time decides between resources of one level). */
function telemetry(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  created++;
  return { apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name, namespace, creationTimestamp: `2026-01-01T00:00:${String(created).padStart(2, '0')}Z` }, spec };
}

function snapshotWith(mesh: Record<string, unknown>, extra: KubeObject[]) {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join());
  return buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...yamlObjects(MYSQL_SERVICE), ...yamlObjects(ZIPKIN_SERVICE), ...extra], snapshotOptions(r.value));
}

/** The connection managers and tcp_proxies of a proxy's listeners, each with the listener it is in. */
function filtersOf(mesh: Record<string, unknown>, extra: KubeObject[], id = PRODUCTPAGE): Array<{ listener: string; name: string; config: any }> {
  const listeners = generate(snapshotWith(mesh, extra), proxy(id), TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  const out = listeners.flatMap((l: any) =>
    [...(l.resource.filter_chains ?? []), ...(l.resource.default_filter_chain ? [l.resource.default_filter_chain] : [])]
      .flatMap((c: any) => c.filters)
      .filter((f: any) => f.name === HCM || f.name === TCP)
      .map((f: any) => ({ listener: l.name as string, name: f.name as string, config: f.typed_config })),
  );
  expect(out.some((f) => f.name === HCM), 'no connection manager to look at').to.equal(true);
  return out;
}

const logPaths = (f: { config: any }): string[] => (f.config.access_log ?? []).map((l: any) => l.typed_config.path);
/** The filters of virtualInbound (SERVER) or of the other listeners (CLIENT); never none, so that `every` checks something. */
function side(fs: ReturnType<typeof filtersOf>, inboundSide: boolean) {
  const out = fs.filter((f) => (f.listener === 'virtualInbound') === inboundSide);
  expect(out, inboundSide ? 'inbound filters' : 'outbound filters').to.not.be.empty;
  return out;
}
const inbound = (fs: ReturnType<typeof filtersOf>) => side(fs, true);
const outbound = (fs: ReturnType<typeof filtersOf>) => side(fs, false);

describe('Telemetry: access logging', () => {
  it("Istio's docs example works as written: a mesh-wide Telemetry naming the built-in `envoy` provider logs every connection manager and tcp_proxy to /dev/stdout", () => {
    const fs = filtersOf({}, [telemetry('istio-system', 'mesh-default', { accessLogging: [{ providers: [{ name: 'envoy' }] }] })]);
    expect(fs.map((f) => f.name)).to.include.members([HCM, TCP]);
    expect(inbound(fs)).to.not.be.empty;
    for (const f of fs) expect(f.config.access_log).to.deep.equal([{ name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_LOG, path: '/dev/stdout' } }]);
    // Gateways log too.
    expect(filtersOf({}, [telemetry('istio-system', 'mesh-default', { accessLogging: [{ providers: [{ name: 'envoy' }] }] })], GATEWAY).every((f) => logPaths(f)[0] === '/dev/stdout')).to.equal(true);
  });

  it('a workload Telemetry turns the logs off for the workloads it selects only; a namespace Telemetry for its namespace only', () => {
    const objs = [
      telemetry('istio-system', 'mesh-default', { accessLogging: [{ providers: [{ name: 'envoy' }] }] }),
      telemetry('default', 'quiet-productpage', { selector: { matchLabels: { app: 'productpage' } }, accessLogging: [{ disabled: true }] }),
    ];
    expect(filtersOf({}, objs).every((f) => f.config.access_log === undefined)).to.equal(true);
    expect(filtersOf({}, objs, REVIEWS_V1).every((f) => logPaths(f)[0] === '/dev/stdout')).to.equal(true);
    const nsOff = [...objs, telemetry('istio-system', 'gateway-off', { accessLogging: [{ disabled: true }] })];
    // A second namespace-wide resource in the root namespace is younger: the first one stays in force.
    expect(filtersOf({}, nsOff, GATEWAY).every((f) => logPaths(f)[0] === '/dev/stdout')).to.equal(true);
    const defaultOff = [...objs, telemetry('default', 'ns-off', { accessLogging: [{ disabled: true }] })];
    expect(filtersOf({}, defaultOff, REVIEWS_V1).every((f) => f.config.access_log === undefined)).to.equal(true);
  });

  it('match.mode SERVER logs inbound only; gateways count as clients, as in Istio', () => {
    const objs = [telemetry('istio-system', 'server-only', { accessLogging: [{ match: { mode: 'SERVER' }, providers: [{ name: 'envoy' }] }] })];
    const fs = filtersOf({}, objs);
    expect(inbound(fs).every((f) => logPaths(f)[0] === '/dev/stdout')).to.equal(true);
    expect(outbound(fs).every((f) => f.config.access_log === undefined)).to.equal(true);
    expect(filtersOf({}, objs, GATEWAY).every((f) => f.config.access_log === undefined)).to.equal(true);
  });

  it("a filter expression becomes Envoy's CEL access log filter, which encodes and survives the wire", () => {
    const fs = filtersOf({}, [telemetry('istio-system', 'errors', { accessLogging: [{ providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 400' } }] })]);
    const log = fs[0]!.config.access_log[0];
    expect(log.filter).to.deep.equal({
      extension_filter: {
        name: 'envoy.access_loggers.extension_filters.cel',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', expression: 'response.code >= 400' },
      },
    });
    const listener = generate(snapshotWith({}, [telemetry('istio-system', 'errors', { accessLogging: [{ providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 400' } }] })]), proxy(PRODUCTPAGE), TypeUrls.listener)[0]!;
    expect(JSON.stringify(decode(TypeUrls.listener, encode(TypeUrls.listener, listener.resource)))).to.contain('response.code >= 400');
  });

  it('extensionProviders: a text format gets its newline, labels make a JSON line; several providers log in name order', () => {
    const mesh = {
      extensionProviders: [
        { name: 'text-log', envoyFileAccessLog: { path: '/dev/stdout', logFormat: { text: '%REQ(:METHOD)% %RESPONSE_CODE%' } } },
        { name: 'json-log', envoyFileAccessLog: { path: '/var/log/access.json', logFormat: { labels: { code: '%RESPONSE_CODE%', nested: { method: '%REQ(:METHOD)%' } } } } },
      ],
    };
    const fs = filtersOf(mesh, [telemetry('default', 'both', { accessLogging: [{ providers: [{ name: 'text-log' }, { name: 'json-log' }] }] })]);
    const logs = fs.find((f) => f.name === HCM)!.config.access_log;
    expect(logs.map((l: any) => l.typed_config.path)).to.deep.equal(['/var/log/access.json', '/dev/stdout']);
    expect(logs[1].typed_config.log_format).to.deep.equal({ text_format_source: { inline_string: '%REQ(:METHOD)% %RESPONSE_CODE%\n' } });
    expect(logs[0].typed_config.log_format.json_format.fields.nested).to.deep.equal({ structValue: { fields: { method: { stringValue: '%REQ(:METHOD)%' } } } });
  });

  it('defaultProviders log everywhere without any Telemetry, and a Telemetry entry without providers acts on them', () => {
    const mesh = { defaultProviders: { accessLogging: ['envoy'] } };
    expect(filtersOf(mesh, []).every((f) => logPaths(f)[0] === '/dev/stdout')).to.equal(true);
    const off = [telemetry('default', 'off', { accessLogging: [{ disabled: true }] })];
    expect(filtersOf(mesh, off).every((f) => f.config.access_log === undefined)).to.equal(true);
  });

  it("a Telemetry naming only providers that make no Envoy log (prometheus, an unknown name) leaves the mesh config's accessLogFile, as in Istio", () => {
    for (const name of ['prometheus', 'nonexistent']) {
      const fs = filtersOf({ accessLogFile: '/tmp/legacy.log' }, [telemetry('istio-system', 'x', { accessLogging: [{ providers: [{ name }] }] })]);
      expect(fs.every((f) => logPaths(f)[0] === '/tmp/legacy.log'), name).to.equal(true);
    }
  });

  it('composes as Istio: the providers in scope are the last level naming any, and each entry turns its providers on or off', () => {
    const t = (ns: string, spec: Record<string, unknown>, selector?: Record<string, string>): Config =>
      ({ kind: 'Telemetry', apiVersion: 'telemetry.istio.io/v1', name: `t${++created}`, namespace: ns, labels: {}, annotations: {}, revision: 0, creationTimestamp: `2026-01-02T00:00:${String(created % 60).padStart(2, '0')}Z`, spec: selector ? { ...spec, selector: { matchLabels: selector } } : spec });
    const mesh = t('istio-system', { accessLogging: [{ providers: [{ name: 'a' }, { name: 'b' }] }] });
    const wl = t('default', { accessLogging: [{ providers: [{ name: 'b' }], disabled: true }] }, { app: 'x' });
    const spec = loggingSpec(applicableTelemetries([mesh, wl], 'default', { app: 'x' }, ROOT_NAMESPACES), [], 'CLIENT');
    // The workload level names only b, so a leaves the scope; b is turned off.
    expect([...spec!]).to.deep.equal([['b', { disabled: true }]]);
    expect(loggingSpec([], [], 'CLIENT')).to.equal(undefined);
    expect([...loggingSpec([], ['envoy'], 'SERVER')!]).to.deep.equal([['envoy', { disabled: false }]]);
  });
});

describe('Telemetry: tracing', () => {
  const zipkinMesh = { extensionProviders: [{ name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411, maxTagLength: 56 } }] };

  it('a Telemetry names the provider, the sampling and custom tags (sorted by tag); the provider sets the path tag length', () => {
    const objs = [
      telemetry('istio-system', 'mesh-default', {
        tracing: [{ providers: [{ name: 'zipkin' }], randomSamplingPercentage: 10, customTags: { zone: { environment: { name: 'ZONE', defaultValue: 'unknown' } }, cluster: { literal: { value: 'east' } }, user: { header: { name: 'x-user' } } } }],
      }),
    ];
    const hcms = filtersOf(zipkinMesh, objs).filter((f) => f.name === HCM);
    expect(hcms).to.not.be.empty;
    for (const h of hcms) {
      const t = h.config.tracing;
      expect(t.random_sampling).to.deep.equal({ value: 10 });
      expect(t.max_path_tag_length).to.deep.equal({ value: 56 });
      expect(t.custom_tags.filter((x: any) => !x.tag.startsWith('istio.'))).to.deep.equal([
        { tag: 'cluster', literal: { value: 'east' } },
        { tag: 'user', request_header: { name: 'x-user', default_value: '' } },
        { tag: 'zone', environment: { name: 'ZONE', default_value: 'unknown' } },
      ]);
      expect(t.custom_tags.map((x: any) => x.tag)).to.deep.equal([...t.custom_tags.map((x: any) => x.tag)].sort());
      expect(t.provider.typed_config.collector_cluster).to.equal('outbound|9411||zipkin.istio-system.svc.cluster.local');
    }
  });

  it('defaultProviders.tracing traces without any Telemetry, at the mesh sampling; disableSpanReporting stops it for the workloads selected', () => {
    const mesh = { ...zipkinMesh, defaultProviders: { tracing: ['zipkin'] }, tracing: { sampling: 25 } };
    expect(filtersOf(mesh, []).filter((f) => f.name === HCM).every((f) => f.config.tracing?.random_sampling.value === 25)).to.equal(true);
    const off = [telemetry('default', 'no-spans', { selector: { matchLabels: { app: 'productpage' } }, tracing: [{ disableSpanReporting: true }] })];
    expect(filtersOf(mesh, off).every((f) => f.config.tracing === undefined)).to.equal(true);
    expect(filtersOf(mesh, off, REVIEWS_V1).filter((f) => f.name === HCM).every((f) => f.config.tracing !== undefined)).to.equal(true);
  });

  it('match.mode CLIENT traces outbound only, and a Telemetry that names no provider stops tracing, as in Istio', () => {
    const client = [telemetry('default', 'client', { tracing: [{ match: { mode: 'CLIENT' }, providers: [{ name: 'zipkin' }] }] })];
    const fs = filtersOf(zipkinMesh, client).filter((f) => f.name === HCM);
    expect(outbound(fs).every((f) => f.config.tracing !== undefined)).to.equal(true);
    expect(inbound(fs).every((f) => f.config.tracing === undefined)).to.equal(true);
    // The mesh config's legacy tracer (zipkin.istio-system:9411 by default) gives way to a Telemetry without provider.
    expect(filtersOf({}, []).filter((f) => f.name === HCM).every((f) => f.config.tracing !== undefined)).to.equal(true);
    expect(filtersOf({}, [telemetry('default', 'sampling-only', { tracing: [{ randomSamplingPercentage: 50 }] })]).every((f) => f.config.tracing === undefined)).to.equal(true);
  });

  it("spans carry istiod's tags from the node (canonical service and revision, namespace, mesh and cluster ids) unless enableIstioTags is false", () => {
    const r = resolveMeshConfig(zipkinMesh);
    if (!r.ok) throw new Error(r.errors.join());
    const injected = proxy(PRODUCTPAGE, {
      NAMESPACE: 'default',
      MESH_ID: 'cluster.local',
      CLUSTER_ID: 'Kubernetes',
      LABELS: { app: 'productpage', 'service.istio.io/canonical-name': 'productpage', 'service.istio.io/canonical-revision': 'v1' },
    });
    const tagsOf = (objs: KubeObject[]) => {
      const snap = buildSnapshot([...bookinfo(), ...yamlObjects(ZIPKIN_SERVICE), ...objs], snapshotOptions(r.value));
      const listeners = generate(snap, injected, TypeUrls.listener);
      expectValid(TypeUrls.listener, listeners);
      const hcm = listeners.flatMap((l: any) => l.resource.filter_chains ?? []).flatMap((c: any) => c.filters).find((f: any) => f.name === HCM);
      return hcm.typed_config.tracing.custom_tags.map((t: any) => `${t.tag}=${t.literal?.value ?? '?'}`);
    };
    expect(tagsOf([telemetry('default', 'tags', { tracing: [{ providers: [{ name: 'zipkin' }], customTags: { team: { literal: { value: 'shop' } } } }] })])).to.deep.equal([
      'istio.canonical_revision=v1',
      'istio.canonical_service=productpage',
      'istio.cluster_id=Kubernetes',
      'istio.mesh_id=cluster.local',
      'istio.namespace=default',
      'team=shop',
    ]);
    expect(tagsOf([telemetry('default', 'no-istio-tags', { tracing: [{ providers: [{ name: 'zipkin' }], enableIstioTags: false, customTags: { team: { literal: { value: 'shop' } } } }] })])).to.deep.equal(['team=shop']);
  });

  it('useRequestIdForTraceSampling false sets the UUID request id extension, which encodes', () => {
    const fs = filtersOf(zipkinMesh, [telemetry('default', 'rid', { tracing: [{ providers: [{ name: 'zipkin' }], useRequestIdForTraceSampling: false }] })]).filter((f) => f.name === HCM);
    for (const f of fs) {
      expect(f.config.request_id_extension).to.deep.equal({
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig', use_request_id_for_trace_sampling: { value: false } },
      });
    }
  });

  it('no tracer when the collector of the zipkin or opentelemetry provider is not a service the proxy has', () => {
    const mesh = { extensionProviders: [{ name: 'far', zipkin: { service: 'collector.elsewhere.svc.cluster.local', port: 9411 } }, { name: 'otel', opentelemetry: { service: 'otel', port: 4317 } }] };
    for (const name of ['far', 'otel']) {
      expect(filtersOf(mesh, [telemetry('default', name, { tracing: [{ providers: [{ name }] }] })]).every((f) => f.config.tracing === undefined), name).to.equal(true);
    }
  });

  it("an opentelemetry provider: OTLP over gRPC (or HTTP) to the collector's cluster, spans naming the proxy's service", () => {
    const collector = yamlObjects(`
apiVersion: v1
kind: Service
metadata: { name: otel-collector, namespace: observability }
spec: { selector: { app: otel }, ports: [{ name: grpc-otlp, port: 4317 }, { name: http-otlp, port: 4318 }] }`);
    const mesh = {
      extensionProviders: [
        { name: 'otel', opentelemetry: { service: 'otel-collector.observability.svc.cluster.local', port: 4317, maxTagLength: 99, grpc: { timeout: '3s', initialMetadata: [{ name: 'x-tenant', value: 'a' }] }, resourceDetectors: { environment: {} } } },
        { name: 'otel-http', opentelemetry: { service: 'otel-collector.observability.svc.cluster.local', port: 4318, http: { path: '/v1/traces', headers: [{ name: 'x-tenant', value: 'b' }] } } },
      ],
    };
    const tracerOf = (name: string) => {
      const fs = filtersOf(mesh, [...collector, telemetry('istio-system', `mesh-${name}`, { tracing: [{ providers: [{ name }], randomSamplingPercentage: 20 }] })]).filter((f) => f.name === HCM);
      expect(fs.every((f) => f.config.tracing?.provider?.name === 'envoy.tracers.opentelemetry'), name).to.equal(true);
      return fs.find((f) => f.listener === 'virtualInbound')!.config.tracing;
    };
    const grpc = tracerOf('otel');
    expect(grpc.random_sampling).to.deep.equal({ value: 20 });
    expect(grpc.max_path_tag_length).to.deep.equal({ value: 99 });
    expect(grpc.provider.typed_config).to.deep.equal({
      '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
      grpc_service: {
        envoy_grpc: { cluster_name: 'outbound|4317||otel-collector.observability.svc.cluster.local', authority: 'otel-collector.observability.svc.cluster.local' },
        timeout: { seconds: 3, nanos: 0 },
        initial_metadata: [{ key: 'x-tenant', value: 'a' }],
      },
      service_name: 'productpage.default',
      resource_detectors: [{ name: 'envoy.tracers.opentelemetry.resource_detectors.environment', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.tracers.opentelemetry.resource_detectors.v3.EnvironmentResourceDetectorConfig' } }],
    });
    expect(tracerOf('otel-http').provider.typed_config.http_service).to.deep.equal({
      http_uri: { uri: 'otel-collector.observability.svc.cluster.local/v1/traces', cluster: 'outbound|4318||otel-collector.observability.svc.cluster.local', timeout: { seconds: 5, nanos: 0 } },
      request_headers_to_add: [{ header: { key: 'x-tenant', value: 'b' } }],
    });
  });

  it("the mesh config's opentelemetry providers are checked field by field; what mizzen cannot do is said", () => {
    const r = resolveMeshConfig({
      extensionProviders: [
        { name: 'a', opentelemetry: { service: 'c', port: 4317, http: { path: '/v1/traces' }, grpc: {}, dynatraceSampler: {}, resourceDetectors: { dynatrace: {} } } },
        { name: 'b', opentelemetry: { port: 70000, grpc: { timeout: 'soon', initialMetadata: [{ name: 'x', envName: 'TOKEN' }] } } },
      ],
    });
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(r.errors).to.have.members([
      'extensionProviders[0].opentelemetry.dynatraceSampler: not supported by mizzen',
      'extensionProviders[0].opentelemetry: http and grpc are exclusive',
      'extensionProviders[0].opentelemetry.resourceDetectors.dynatrace: not supported by mizzen',
      "extensionProviders[1].opentelemetry.service: required, the collector's service host",
      'extensionProviders[1].opentelemetry.port: required, a port from 1 to 65535',
      'extensionProviders[1].opentelemetry.grpc.timeout: must be a positive duration like 1s',
      'extensionProviders[1].opentelemetry.grpc.initialMetadata[0].envName: not supported by mizzen (plain Envoy reads no environment for it): give a value',
    ]);
  });

  it('tracingSpec: later entries override earlier ones field by field, per mode', () => {
    const mk = (spec: Record<string, unknown>): Config => ({ kind: 'Telemetry', apiVersion: 'telemetry.istio.io/v1', name: 'x', namespace: 'default', labels: {}, annotations: {}, revision: 0, spec });
    const spec = tracingSpec([mk({ tracing: [{ providers: [{ name: 'a' }], randomSamplingPercentage: 5 }] }), mk({ tracing: [{ match: { mode: 'SERVER' }, randomSamplingPercentage: 50 }] })], [], 'SERVER');
    expect(spec).to.deep.equal({ disabled: false, useRequestIdForTraceSampling: true, enableIstioTags: true, provider: 'a', sampling: 50 });
    expect(tracingSpec([mk({ tracing: [{ match: { mode: 'SERVER' }, randomSamplingPercentage: 50 }] })], ['d'], 'CLIENT')).to.deep.equal({ disabled: false, useRequestIdForTraceSampling: true, enableIstioTags: true, provider: 'd' });
    expect(tracingSpec([], [], 'CLIENT')).to.equal(undefined);
  });
});

describe('Telemetry: selection and pushes', () => {
  it('which resources apply: mesh (oldest in the root namespace), namespace (oldest), then each selecting one, oldest first; targetRefs and other namespaces never', () => {
    const objects = [
      telemetry('default', 'ns-old', {}),
      telemetry('istio-system', 'mesh', {}),
      telemetry('default', 'ns-young', {}),
      telemetry('default', 'wl-b', { selector: { matchLabels: { app: 'x' } } }),
      telemetry('default', 'wl-other', { selector: { matchLabels: { app: 'y' } } }),
      telemetry('default', 'waypoint', { targetRefs: [{ kind: 'Service', group: '', name: 'x' }] }),
      telemetry('other', 'elsewhere', {}),
      telemetry('default', 'wl-c', { selector: { matchLabels: { app: 'x' } } }),
    ];
    // In the snapshot's order (compareConfigs: oldest first), whatever order the objects came in.
    const objs = buildSnapshot(objects.slice().reverse()).telemetries;
    expect(applicableTelemetries(objs, 'default', { app: 'x' }, ROOT_NAMESPACES).map((t) => t.name)).to.deep.equal(['mesh', 'ns-old', 'wl-b', 'wl-c']);
    expect(applicableTelemetries(objs, 'istio-system', {}, ROOT_NAMESPACES).map((t) => t.name)).to.deep.equal(['mesh']);
  });

  it('a Telemetry change is a new snapshot and regenerates listeners; a bad one is skipped, not thrown', () => {
    const t = telemetry('istio-system', 'mesh-default', { accessLogging: [{ providers: [{ name: 'envoy' }] }] });
    const r = resolveMeshConfig({});
    if (!r.ok) throw new Error();
    const base = [...bookinfo('bookinfo-gateway.yaml')];
    const before = buildSnapshot(base, snapshotOptions(r.value));
    const after = updateSnapshot(before, [...base, t], [objectKey(t)], snapshotOptions(r.value));
    expect(after.version).to.not.equal(before.version);
    expect(after.telemetries.map((x) => x.name)).to.deep.equal(['mesh-default']);
    const plan = planReuse(before, after);
    expect(plan.changed).to.deep.equal(['telemetries']);
    expect(plan.reuse.has(TypeUrls.listener)).to.equal(false);
    expect([...plan.reuse]).to.include.members([TypeUrls.cluster, TypeUrls.route, TypeUrls.endpoint]);
    const garbage = [
      telemetry('default', 'g1', { accessLogging: 'yes', tracing: [null, 7, { providers: 'zipkin', customTags: { a: null, b: { literal: {} } } }] }),
      telemetry('default', 'g2', { selector: 'all', accessLogging: [{ providers: [{ name: 42 }], filter: 'x', match: 'SERVER' }] }),
      { apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'g3', namespace: 'default' }, spec: null } as unknown as KubeObject,
    ];
    const snap = buildSnapshot([...base, ...garbage], snapshotOptions(r.value));
    expect(snap.telemetries).to.have.length(3);
    for (const id of [PRODUCTPAGE, GATEWAY]) expectValid(TypeUrls.listener, generate(snap, proxy(id), TypeUrls.listener));
  });
});

describe('mesh config: extensionProviders and defaultProviders', () => {
  it("merges a user's providers by name onto Istio's defaults (prometheus, stackdriver, envoy)", () => {
    const r = resolveMeshConfig({ extensionProviders: [{ name: 'envoy', envoyFileAccessLog: { path: '/var/log/envoy.log' } }, { name: 'zipkin', zipkin: { service: 'zipkin.istio-system', port: 9411 } }] });
    expect(r.ok && r.value.extensionProviders.map((p) => p.name)).to.deep.equal(['prometheus', 'stackdriver', 'envoy', 'zipkin']);
    expect(r.ok && r.value.extensionProviders[2]!.envoyFileAccessLog).to.deep.equal({ path: '/var/log/envoy.log' });
    // Names match without regard to case, as Telemetry resources name them: "Envoy" replaces the default envoy.
    const upper = resolveMeshConfig({ extensionProviders: [{ name: 'Envoy', envoyFileAccessLog: { path: '/tmp/e.log' } }] });
    expect(upper.ok && upper.value.extensionProviders.map((p) => p.name)).to.deep.equal(['prometheus', 'stackdriver', 'Envoy']);
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['a list that is not one', { extensionProviders: {} }, 'extensionProviders: must be a list'],
    ['no name', { extensionProviders: [{ zipkin: { service: 'z', port: 9411 } }] }, 'extensionProviders[0].name: required'],
    ['two kinds', { extensionProviders: [{ name: 'x', zipkin: { service: 'z', port: 9411 }, prometheus: {} }] }, 'exactly one provider kind'],
    ['no kind', { extensionProviders: [{ name: 'x' }] }, 'exactly one provider kind'],
    ['an unknown kind', { extensionProviders: [{ name: 'x', jaeger: {} }] }, 'extensionProviders[0].jaeger: unknown provider kind'],
    ['a zipkin without port', { extensionProviders: [{ name: 'x', zipkin: { service: 'z' } }] }, 'extensionProviders[0].zipkin.port: required'],
    ['a zipkin with an unknown field', { extensionProviders: [{ name: 'x', zipkin: { service: 'z', port: 1, sampling: 3 } }] }, 'extensionProviders[0].zipkin.sampling: unknown field'],
    ['a file log without path', { extensionProviders: [{ name: 'x', envoyFileAccessLog: {} }] }, 'extensionProviders[0].envoyFileAccessLog.path: required'],
    ['text and labels', { extensionProviders: [{ name: 'x', envoyFileAccessLog: { path: '/p', logFormat: { text: 'a', labels: { a: 'b' } } } }] }, 'text and labels are exclusive'],
    ['a name twice', { extensionProviders: [{ name: 'x', prometheus: {} }, { name: 'X', prometheus: {} }] }, 'extensionProviders[1].name: "X" is defined twice'],
    ['a gRPC access log service without service', { extensionProviders: [{ name: 'x', envoyHttpAls: { port: 9001 } }] }, 'extensionProviders[0].envoyHttpAls.service: required'],
    ['a gRPC access log service with a bad port', { extensionProviders: [{ name: 'x', envoyTcpAls: { service: 'als', port: 0 } }] }, 'extensionProviders[0].envoyTcpAls.port: required, a port from 1 to 65535'],
    ['headers of a TCP access log service', { extensionProviders: [{ name: 'x', envoyTcpAls: { service: 'als', port: 1, additionalRequestHeadersToLog: ['a'] } }] }, 'envoyTcpAls.additionalRequestHeadersToLog: unknown field'],
    ['headers that are not a list of names', { extensionProviders: [{ name: 'x', envoyHttpAls: { service: 'als', port: 1, additionalRequestHeadersToLog: 'x-a' } }] }, 'envoyHttpAls.additionalRequestHeadersToLog: must be a list of non-empty strings'],
    ['a default that names no provider', { defaultProviders: { tracing: ['zipkin'] } }, 'defaultProviders.tracing[0]: no extensionProviders entry is named "zipkin"'],
    ['an unknown defaultProviders field', { defaultProviders: { logs: ['envoy'] } }, 'defaultProviders.logs: unknown field'],
  ];
  for (const [what, input, message] of bad) {
    it(`names ${what}`, () => {
      const r = resolveMeshConfig(input);
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.errors.join('\n')).to.contain(message);
    });
  }
});

describe('Telemetry: gRPC access log services (envoyHttpAls, envoyTcpAls)', () => {
  const ALS_SERVICE: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'als', namespace: 'observability' }, spec: { selector: { app: 'als' }, ports: [{ name: 'grpc', port: 9001 }] } };
  const ALS_CLUSTER = 'outbound|9001||als.observability.svc.cluster.local';
  const mesh = {
    extensionProviders: [
      { name: 'http-als', envoyHttpAls: { service: 'als.observability.svc.cluster.local', port: 9001, additionalRequestHeadersToLog: ['x-tenant'], filterStateObjectsToLog: ['envoy.string'] } },
      { name: 'tcp-als', envoyTcpAls: { service: 'observability/als.observability.svc.cluster.local', port: 9001, logName: 'connections' } },
      { name: 'nowhere', envoyHttpAls: { service: 'als.nowhere.svc.cluster.local', port: 9001 } },
    ],
  };
  const logs = (f: { config: any }) => (f.config.access_log ?? []).map((l: any) => ({ name: l.name, config: l.typed_config }));

  it('streams requests from connection managers and connections from tcp_proxies to the service, beside the file log, by provider name', () => {
    const fs = filtersOf(mesh, [ALS_SERVICE, telemetry('istio-system', 'mesh-default', { accessLogging: [{ providers: [{ name: 'tcp-als' }, { name: 'http-als' }, { name: 'envoy' }] }] })]);
    const http = {
      name: 'envoy.access_loggers.http_grpc',
      config: {
        '@type': 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig',
        common_config: {
          log_name: 'http_envoy_accesslog',
          grpc_service: { envoy_grpc: { cluster_name: ALS_CLUSTER, authority: 'als.observability.svc.cluster.local' } },
          transport_api_version: 'V3',
          filter_state_objects_to_log: ['envoy.string'],
        },
        additional_request_headers_to_log: ['x-tenant'],
      },
    };
    const tcp = {
      name: 'envoy.access_loggers.tcp_grpc',
      config: {
        '@type': 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig',
        common_config: { log_name: 'connections', grpc_service: { envoy_grpc: { cluster_name: ALS_CLUSTER, authority: 'als.observability.svc.cluster.local' } }, transport_api_version: 'V3' },
      },
    };
    const file = { name: 'envoy.access_loggers.file', config: { '@type': FILE_LOG, path: '/dev/stdout' } };
    expect(fs.some((f) => f.name === TCP), 'a tcp_proxy to look at').to.equal(true);
    for (const f of fs) expect(logs(f), `${f.listener} ${f.name}`).to.deep.equal(f.name === HCM ? [file, http] : [file, tcp]);
    // The encoded listeners carry them (filtersOf checks every listener against Envoy's protos and rules).
    const listeners = generate(snapshotWith(mesh, [ALS_SERVICE, telemetry('istio-system', 'mesh-default', { accessLogging: [{ providers: [{ name: 'http-als' }] }] })]), proxy(PRODUCTPAGE), TypeUrls.listener);
    const round = decode(TypeUrls.listener, encode(TypeUrls.listener, listeners.find((l) => l.name === 'virtualInbound')!.resource)) as any;
    expect(JSON.stringify(round)).to.contain('x-tenant').and.contain(ALS_CLUSTER);
  });

  it('a service the proxy has no cluster for gets no log (and the mesh config file log does not come back); a filter expression applies', () => {
    const none = filtersOf(mesh, [ALS_SERVICE, telemetry('istio-system', 'mesh-default', { accessLogging: [{ providers: [{ name: 'nowhere' }] }] })]);
    expect(none.every((f) => f.config.access_log === undefined)).to.equal(true);
    const filtered = filtersOf(mesh, [ALS_SERVICE, telemetry('istio-system', 'mesh-default', { accessLogging: [{ providers: [{ name: 'http-als' }], filter: { expression: 'response.code >= 500' } }] })]);
    for (const f of filtered.filter((x) => x.name === HCM)) expect(f.config.access_log[0].filter.extension_filter.typed_config.expression).to.equal('response.code >= 500');
    // An HTTP service only: tcp_proxies get nothing.
    for (const f of filtered.filter((x) => x.name === TCP)) expect(f.config.access_log).to.equal(undefined);
  });
});
