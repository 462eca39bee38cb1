/**
 * Listener-level access logs, as istiod writes them: a sidecar's virtualOutbound and virtualInbound and every gateway
 * listener log the connections no filter chain took (Envoy's response flag NR), with the mesh config's file log and
 * legacy access log service or the Telemetry providers in force; the mesh config's disableEnvoyListenerLog turns
 * them off. Every generated listener is checked against Envoy's protos and validation rules.
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { listenerLog } from '../../../src/xds/gen/access-log.js';
import { DEFAULT_MESH_CONFIG, resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { meshChanges } from '../../../src/config/mesh-changes.js';
import { TypeUrls } from '../../../src/core/constants.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { decode, encode, envoyRoot } from '../../../src/xds/proto.js';
import { checkPgv } from '../../../src/xds/pgv.js';
import { GATEWAY, MYSQL_SERVICE, PRODUCTPAGE, REVIEWS_V1, bookinfo, expectValid, proxy, yamlObjects } from './helpers.js';

const HCM = 'envoy.filters.network.http_connection_manager';
const FILE_TYPE = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
const NR = { response_flag_filter: { flags: ['NR'] } };
const STDOUT = { name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_TYPE, path: '/dev/stdout' } };
const PEER_STATE = ['upstream_peer', 'downstream_peer', 'wasm.upstream_peer', 'wasm.upstream_peer_id', 'wasm.downstream_peer', 'wasm.downstream_peer_id'];

/** A TCP server (routed to mysql) beside Bookinfo's HTTP one, so that the gateway has two listeners. */
const TCP_GATEWAY = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: tcp-gateway, namespace: default }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 31400, name: tcp, protocol: TCP }, hosts: ['*'] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: mysql-in, namespace: default }
spec:
  hosts: ['*']
  gateways: [tcp-gateway]
  tcp: [{ match: [{ port: 31400 }], route: [{ destination: { host: mysql, port: { number: 3306 } } }] }]`;

const ALS_SERVICE: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'als', namespace: 'observability' }, spec: { selector: { app: 'als' }, ports: [{ name: 'grpc', port: 9001 }] } };
const ALS_CLUSTER = 'outbound|9001||als.observability.svc.cluster.local';
const PROVIDERS = {
  extensionProviders: [
    { name: 'http-als', envoyHttpAls: { service: 'als.observability.svc.cluster.local', port: 9001 } },
    { name: 'tcp-als', envoyTcpAls: { service: 'als.observability.svc.cluster.local', port: 9001 } },
    { name: 'nowhere', envoyTcpAls: { service: 'als.nowhere.svc.cluster.local', port: 9001 } },
    { name: 'json', envoyFileAccessLog: { path: '/var/log/envoy.json', logFormat: { labels: { flags: '%RESPONSE_FLAGS%' } } } },
  ],
};

let created = 0;
function telemetry(namespace: string, name: string, spec: Record<string, unknown>, selector?: Record<string, string>): KubeObject {
  created++;
  return {
    apiVersion: 'telemetry.istio.io/v1',
    kind: 'Telemetry',
    metadata: { name, namespace, creationTimestamp: `2026-01-01T00:00:${String(created).padStart(2, '0')}Z` },
    spec: selector ? { selector: { matchLabels: selector }, ...spec } : spec,
  };
}

function snapshotWith(mesh: Record<string, unknown>, extra: KubeObject[] = []) {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join());
  return buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...yamlObjects(MYSQL_SERVICE), ...yamlObjects(TCP_GATEWAY), ...extra], snapshotOptions(r.value));
}

/** The proxy's listeners (checked valid), each with its listener-level access_log and its connection managers' logs. */
function listenersOf(mesh: Record<string, unknown>, id = PRODUCTPAGE, extra: KubeObject[] = []): Array<{ name: string; log: any[] | undefined; hcmLogs: any[] }> {
  const listeners = generate(snapshotWith(mesh, extra), proxy(id), TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  return listeners.map((l: any) => ({
    name: l.name,
    log: l.resource.access_log,
    hcmLogs: (l.resource.filter_chains ?? []).flatMap((c: any) => c.filters).filter((f: any) => f.name === HCM).map((f: any) => f.typed_config.access_log),
  }));
}

const logged = (ls: ReturnType<typeof listenersOf>) => ls.filter((l) => l.log !== undefined).map((l) => l.name).sort();

describe('listener-level access logs', () => {
  it('accessLogFile: a sidecar logs on virtualOutbound and virtualInbound only, the file log narrowed to connections no chain took', () => {
    const ls = listenersOf({ accessLogFile: '/dev/stdout' });
    expect(ls.length).to.be.greaterThan(2);
    expect(logged(ls)).to.deep.equal(['virtualInbound', 'virtualOutbound']);
    for (const l of ls.filter((x) => x.log)) expect(l.log, l.name).to.deep.equal([{ name: STDOUT.name, filter: NR, typed_config: STDOUT.typed_config }]);
    // The connection managers keep their own log, unfiltered.
    const hcm = ls.flatMap((l) => l.hcmLogs);
    expect(hcm).to.not.be.empty;
    for (const logs of hcm) expect(logs).to.deep.equal([STDOUT]);
  });

  it('in the format of the mesh config: JSON encoding and accessLogFormat carry over', () => {
    const ls = listenersOf({ accessLogFile: '/dev/stdout', accessLogEncoding: 'JSON', accessLogFormat: '{"flags":"%RESPONSE_FLAGS%"}' });
    const outbound = ls.find((l) => l.name === 'virtualOutbound')!;
    expect(outbound.log![0].typed_config.log_format).to.deep.equal({ json_format: { fields: { flags: { stringValue: '%RESPONSE_FLAGS%' } } } });
    expect(outbound.log![0].filter).to.deep.equal(NR);
  });

  it('gateways: every listener logs', () => {
    const ls = listenersOf({ accessLogFile: '/dev/stdout' }, GATEWAY);
    expect(ls.length).to.equal(2);
    for (const l of ls) expect(l.log, l.name).to.deep.equal([{ name: STDOUT.name, filter: NR, typed_config: STDOUT.typed_config }]);
  });

  it('none without any access log, on sidecars and gateways', () => {
    for (const id of [PRODUCTPAGE, GATEWAY]) expect(logged(listenersOf({}, id))).to.deep.equal([]);
  });

  it('disableEnvoyListenerLog: no listener-level log, while the connection managers and tcp_proxies keep theirs', () => {
    for (const id of [PRODUCTPAGE, GATEWAY]) {
      const ls = listenersOf({ accessLogFile: '/dev/stdout', disableEnvoyListenerLog: true }, id);
      expect(logged(ls), id).to.deep.equal([]);
      expect(ls.flatMap((l) => l.hcmLogs)).to.deep.include([STDOUT]);
    }
    const telemetry = listenersOf({ disableEnvoyListenerLog: true, defaultProviders: { accessLogging: ['envoy'] } });
    expect(logged(telemetry)).to.deep.equal([]);
  });

  it("enableEnvoyAccessLogService: the file first, then istiod's listener logger (tcp_grpc, listener_envoy_accesslog), both NR-filtered", () => {
    const ls = listenersOf({ accessLogFile: '/dev/stdout', enableEnvoyAccessLogService: true, defaultConfig: { envoyAccessLogService: { address: 'als.istio-system:15000' } } });
    const als = {
      name: 'envoy.access_loggers.tcp_grpc',
      filter: NR,
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig',
        common_config: { log_name: 'listener_envoy_accesslog', grpc_service: { envoy_grpc: { cluster_name: 'envoy_accesslog_service' } }, transport_api_version: 'V3', filter_state_objects_to_log: PEER_STATE },
      },
    };
    expect(logged(ls)).to.deep.equal(['virtualInbound', 'virtualOutbound']);
    for (const l of ls.filter((x) => x.log)) expect(l.log).to.deep.equal([{ name: STDOUT.name, filter: NR, typed_config: STDOUT.typed_config }, als]);
    const only = listenersOf({ enableEnvoyAccessLogService: true }, GATEWAY);
    for (const l of only) expect(l.log).to.deep.equal([als]);
  });

  it('Telemetry providers: each log provider left on, in name order, gRPC services of both kinds (as istiod); a CEL filter is ANDed after NR', () => {
    const t = telemetry('istio-system', 'mesh-default', { accessLogging: [{ providers: [{ name: 'tcp-als' }, { name: 'json' }, { name: 'http-als' }, { name: 'nowhere' }], filter: { expression: 'connection.mtls' } }] });
    const ls = listenersOf({ accessLogFile: '/dev/stdout', ...PROVIDERS }, PRODUCTPAGE, [ALS_SERVICE, t]);
    expect(logged(ls)).to.deep.equal(['virtualInbound', 'virtualOutbound']);
    for (const l of ls.filter((x) => x.log)) {
      // The mesh config's file is replaced; the service without a cluster gives nothing, as on the filters.
      expect(l.log!.map((x) => x.name)).to.deep.equal(['envoy.access_loggers.http_grpc', 'envoy.access_loggers.file', 'envoy.access_loggers.tcp_grpc']);
      for (const x of l.log!) {
        const [nr, cel] = x.filter.and_filter.filters;
        expect(nr).to.deep.equal(NR);
        expect(cel.extension_filter.typed_config.expression).to.equal('connection.mtls');
      }
      expect(l.log![0].typed_config.common_config.grpc_service.envoy_grpc.cluster_name).to.equal(ALS_CLUSTER);
      expect(l.log![1].typed_config.path).to.equal('/var/log/envoy.json');
    }
  });

  it('Telemetry decides per direction: SERVER logs only virtualInbound; a workload Telemetry disabling the logs leaves that workload none', () => {
    const server = telemetry('default', 'server-only', { accessLogging: [{ providers: [{ name: 'envoy' }], match: { mode: 'SERVER' } }] });
    const ls = listenersOf({}, PRODUCTPAGE, [server]);
    expect(logged(ls)).to.deep.equal(['virtualInbound']);
    expect(ls.find((l) => l.name === 'virtualInbound')!.log).to.deep.equal([{ name: STDOUT.name, filter: NR, typed_config: STDOUT.typed_config }]);

    const mesh = { accessLogFile: '/dev/stdout', defaultProviders: { accessLogging: ['envoy'] } };
    const off = telemetry('default', 'reviews-off', { accessLogging: [{ disabled: true }] }, { app: 'reviews' });
    expect(logged(listenersOf(mesh, REVIEWS_V1, [off]))).to.deep.equal([]);
    expect(logged(listenersOf(mesh, PRODUCTPAGE, [off]))).to.deep.equal(['virtualInbound', 'virtualOutbound']);
  });

  it('a gateway takes the CLIENT side of a Telemetry, as in Istio', () => {
    const client = telemetry('istio-system', 'mesh-default', { accessLogging: [{ providers: [{ name: 'envoy' }], match: { mode: 'CLIENT' } }] });
    expect(logged(listenersOf({}, GATEWAY, [client]))).to.have.length(2);
    const server = telemetry('istio-system', 'mesh-default', { accessLogging: [{ providers: [{ name: 'envoy' }], match: { mode: 'SERVER' } }] });
    expect(logged(listenersOf({}, GATEWAY, [server]))).to.deep.equal([]);
  });

  it('survives the wire encoding, and Envoy refuses a flag it does not know (the check applies to these logs)', () => {
    const listeners = generate(snapshotWith({ accessLogFile: '/dev/stdout' }), proxy(PRODUCTPAGE), TypeUrls.listener);
    const inbound = listeners.find((l) => l.name === 'virtualInbound')!.resource as any;
    const back = decode(TypeUrls.listener, encode(TypeUrls.listener, inbound)) as any;
    expect(back.access_log[0].filter).to.deep.equal(NR);
    const bad = { ...inbound, access_log: [{ ...inbound.access_log[0], filter: { response_flag_filter: { flags: ['NOPE'] } } }] };
    expect(checkPgv(envoyRoot(), TypeUrls.listener, bad)).to.not.be.empty;
    const lonelyAnd = { ...inbound, access_log: [{ ...inbound.access_log[0], filter: { and_filter: { filters: [NR] } } }] };
    expect(checkPgv(envoyRoot(), TypeUrls.listener, lonelyAnd)).to.not.be.empty;
  });

  it('listenerLog keeps the logger and puts NR before its own filter', () => {
    const cel = { extension_filter: { name: 'envoy.access_loggers.extension_filters.cel', typed_config: {} } };
    expect(listenerLog(STDOUT)).to.deep.equal({ ...STDOUT, filter: NR });
    expect(listenerLog({ ...STDOUT, filter: cel })).to.deep.equal({ ...STDOUT, filter: { and_filter: { filters: [NR, cel] } } });
  });

  it('a reloaded mesh config turns it off and on: a changed field, a new snapshot version, the logs go and come', () => {
    const on = resolveMeshConfig({ accessLogFile: '/dev/stdout' });
    const off = resolveMeshConfig({ accessLogFile: '/dev/stdout', disableEnvoyListenerLog: true });
    if (!on.ok || !off.ok) throw new Error('mesh config');
    expect(meshChanges(on.value, off.value).changed).to.deep.equal(['disableEnvoyListenerLog']);
    const objects = [...bookinfo(), ...yamlObjects(MYSQL_SERVICE)];
    const a = buildSnapshot(objects, snapshotOptions(on.value));
    const b = buildSnapshot(objects, snapshotOptions(off.value));
    expect(b.version).to.not.equal(a.version);
    expect(b.mesh.disableEnvoyListenerLog).to.equal(true);
    expect(a.mesh).to.not.have.property('disableEnvoyListenerLog');
    const inbound = (snap: typeof a) => generate(snap, proxy(PRODUCTPAGE), TypeUrls.listener).find((l) => l.name === 'virtualInbound')!.resource as any;
    expect(inbound(a).access_log).to.have.length(1);
    expect(inbound(b)).to.not.have.property('access_log');
    expect(snapshotOptions(DEFAULT_MESH_CONFIG)).to.not.have.property('disableEnvoyListenerLog');
  });
});

describe('mesh config: disableEnvoyListenerLog', () => {
  it('is applied now: read without a warning, by its JSON or proto name, default false', () => {
    expect(DEFAULT_MESH_CONFIG.disableEnvoyListenerLog).to.equal(false);
    for (const mesh of [{ disableEnvoyListenerLog: true }, { disable_envoy_listener_log: true }]) {
      const r = resolveMeshConfig(mesh);
      if (!r.ok) throw new Error(r.errors.join());
      expect(r.warnings).to.equal(undefined);
      expect(r.value.disableEnvoyListenerLog).to.equal(true);
    }
  });

  it('refuses a value that is not a boolean, naming the field', () => {
    for (const v of ['true', 1, {}, null]) {
      const r = resolveMeshConfig({ disableEnvoyListenerLog: v });
      expect(r.ok, JSON.stringify(v)).to.equal(false);
      if (!r.ok) expect(r.errors.join()).to.match(/^disableEnvoyListenerLog: /);
    }
  });
});
