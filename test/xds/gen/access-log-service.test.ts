/**
 * The mesh config's enableEnvoyAccessLogService (Istio's legacy gRPC access log service): every connection manager
 * streams its requests and every tcp_proxy its connections to the bootstrap's envoy_accesslog_service cluster, as
 * istiod's loggers do, where no Telemetry resource or defaultProviders decide the logs; valid on the wire.
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { resolveMeshConfig, snapshotOptions, DEFAULT_MESH_CONFIG } from '../../../src/config/mesh.js';
import { meshChanges } from '../../../src/config/mesh-changes.js';
import { TypeUrls } from '../../../src/core/constants.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { decode, encode } from '../../../src/xds/proto.js';
import { GATEWAY, MYSQL_SERVICE, PRODUCTPAGE, bookinfo, expectValid, proxy, yamlObjects } from './helpers.js';

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP = 'envoy.filters.network.tcp_proxy';
const PEER_STATE = ['upstream_peer', 'downstream_peer', 'wasm.upstream_peer', 'wasm.upstream_peer_id', 'wasm.downstream_peer', 'wasm.downstream_peer_id'];

const HTTP_ALS = {
  name: 'envoy.access_loggers.http_grpc',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig',
    common_config: { log_name: 'http_envoy_accesslog', grpc_service: { envoy_grpc: { cluster_name: 'envoy_accesslog_service' } }, transport_api_version: 'V3', filter_state_objects_to_log: PEER_STATE },
  },
};
const TCP_ALS = {
  name: 'envoy.access_loggers.tcp_grpc',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig',
    common_config: { log_name: 'tcp_envoy_accesslog', grpc_service: { envoy_grpc: { cluster_name: 'envoy_accesslog_service' } }, transport_api_version: 'V3', filter_state_objects_to_log: PEER_STATE },
  },
};
const FILE_LOG = { name: 'envoy.access_loggers.file', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: '/dev/stdout' } };

function snapshotWith(mesh: Record<string, unknown>, extra: KubeObject[] = []) {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join());
  return buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...yamlObjects(MYSQL_SERVICE), ...extra], snapshotOptions(r.value));
}

/** Each connection manager and tcp_proxy of the proxy's listeners (checked valid), with its listener's name. */
function filtersOf(mesh: Record<string, unknown>, id = PRODUCTPAGE, extra: KubeObject[] = []): Array<{ listener: string; name: string; config: any }> {
  const listeners = generate(snapshotWith(mesh, extra), proxy(id), TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  return listeners.flatMap((l: any) =>
    [...(l.resource.filter_chains ?? []), ...(l.resource.default_filter_chain ? [l.resource.default_filter_chain] : [])]
      .flatMap((c: any) => c.filters)
      .filter((f: any) => f.name === HCM || f.name === TCP)
      .map((f: any) => ({ listener: l.name as string, name: f.name as string, config: f.typed_config })),
  );
}

const ON = { enableEnvoyAccessLogService: true, defaultConfig: { envoyAccessLogService: { address: 'als.istio-system:15000' } } };

describe('enableEnvoyAccessLogService: the legacy gRPC access log service', () => {
  it("sidecars, both directions: connection managers stream requests (http_envoy_accesslog), tcp_proxies connections (tcp_envoy_accesslog), to istiod's cluster", () => {
    const fs = filtersOf(ON);
    expect(fs.map((f) => f.name)).to.include.members([HCM, TCP]);
    expect(fs.map((f) => f.listener)).to.include('virtualInbound');
    for (const f of fs) expect(f.config.access_log, `${f.listener} ${f.name}`).to.deep.equal([f.name === HCM ? HTTP_ALS : TCP_ALS]);
  });

  it('gateways too', () => {
    const fs = filtersOf(ON, GATEWAY);
    expect(fs).to.not.be.empty;
    for (const f of fs) expect(f.config.access_log).to.deep.equal([f.name === HCM ? HTTP_ALS : TCP_ALS]);
  });

  it('beside accessLogFile: the file first, then the service, as istiod orders them', () => {
    for (const f of filtersOf({ ...ON, accessLogFile: '/dev/stdout' })) expect(f.config.access_log).to.deep.equal([FILE_LOG, f.name === HCM ? HTTP_ALS : TCP_ALS]);
  });

  it('off by default, and with enableEnvoyAccessLogService false even when proxies have the cluster', () => {
    for (const mesh of [{}, { defaultConfig: ON.defaultConfig }]) {
      expect(JSON.stringify(filtersOf(mesh))).to.not.contain('envoy_accesslog_service');
    }
  });

  it('a Telemetry that decides the logs replaces the legacy loggers, as in Istio (they are the mesh config fallback)', () => {
    const telemetry: KubeObject = { apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'mesh-default', namespace: 'istio-system', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { accessLogging: [{ providers: [{ name: 'envoy' }] }] } };
    const fs = filtersOf(ON, PRODUCTPAGE, [telemetry]);
    expect(fs).to.not.be.empty;
    expect(JSON.stringify(fs)).to.not.contain('envoy_accesslog_service');
    expect(fs.every((f) => f.config.access_log?.[0]?.name === 'envoy.access_loggers.file')).to.equal(true);
  });

  it('the loggers survive the wire encoding', () => {
    const hcm = filtersOf(ON).find((f) => f.name === HCM)!;
    const T = 'envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig';
    const { '@type': _t, ...log } = hcm.config.access_log[0].typed_config;
    const back = decode(T, encode(T, log)) as any;
    expect(back.common_config.grpc_service.envoy_grpc).to.deep.equal({ cluster_name: 'envoy_accesslog_service' });
    expect(back.common_config.filter_state_objects_to_log).to.deep.equal(PEER_STATE);
  });

  it('a reloaded mesh config turns it on and off: a changed field, a new snapshot version, the loggers come and go', () => {
    const off = resolveMeshConfig({});
    const on = resolveMeshConfig(ON);
    if (!off.ok || !on.ok) throw new Error('mesh config');
    expect(meshChanges(off.value, on.value).changed).to.include('enableEnvoyAccessLogService');
    expect(meshChanges(on.value, off.value).changed).to.include('enableEnvoyAccessLogService');
    const objects = [...bookinfo(), ...yamlObjects(MYSQL_SERVICE)];
    const a = buildSnapshot(objects, snapshotOptions(off.value));
    const b = buildSnapshot(objects, snapshotOptions(on.value));
    expect(b.version).to.not.equal(a.version);
    expect(b.mesh.envoyAccessLogService).to.equal(true);
    expect(a.mesh).to.not.have.property('envoyAccessLogService');
    expect(JSON.stringify(generate(b, proxy(PRODUCTPAGE), TypeUrls.listener))).to.contain('http_envoy_accesslog');
    expect(JSON.stringify(generate(a, proxy(PRODUCTPAGE), TypeUrls.listener))).to.not.contain('http_envoy_accesslog');
    expect(snapshotOptions(DEFAULT_MESH_CONFIG)).to.not.have.property('envoyAccessLogService');
  });
});
