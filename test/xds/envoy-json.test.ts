/**
 * Envoy configuration in protobuf's JSON form (EnvoyFilter patch values) read into the generators' form, and the
 * protobuf merge that EnvoyFilter MERGE patches use.
 */
import { expect } from 'chai';
import { fromEnvoyJson } from '../../src/xds/envoy-json.js';
import { mergeAny, mergeMessage } from '../../src/xds/gen/envoyfilter/merge.js';
import { encode, typeFor } from '../../src/xds/proto.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const read = (type: string, v: unknown) => {
  const r = fromEnvoyJson(type, v, 'value');
  const text = (i: { path: string; message: string }) => `${i.path}: ${i.message}`;
  return { value: r.value, errors: r.errors.map(text), warnings: r.warnings.map(text) };
};

describe('envoy-json: protobuf JSON into the generators form', () => {
  it('takes camelCase and snake_case names, Durations, wrappers, enums and 64-bit integers as text', () => {
    const r = read(CLUSTER, { name: 'c', connectTimeout: '1.5s', per_connection_buffer_limit_bytes: 1024, lbPolicy: 'LEAST_REQUEST', circuit_breakers: { thresholds: [{ maxRetries: 3 }] }, dns_refresh_rate: '-0.25s', ringHashLbConfig: { minimumRingSize: '1024' } });
    expect(r.errors).to.deep.equal([]);
    expect(r.value).to.deep.equal({
      name: 'c',
      connect_timeout: { seconds: 1, nanos: 500_000_000 },
      per_connection_buffer_limit_bytes: { value: 1024 },
      lb_policy: 'LEAST_REQUEST',
      circuit_breakers: { thresholds: [{ max_retries: { value: 3 } }] },
      dns_refresh_rate: { seconds: 0, nanos: -250_000_000 },
      ring_hash_lb_config: { minimum_ring_size: { value: 1024 } },
    });
    expect(() => encode(`type.googleapis.com/${CLUSTER}`, r.value)).to.not.throw();
  });

  it('reads Structs as plain JSON and Any by its @type, loading protos the generators never needed', () => {
    const r = read('envoy.config.core.v3.Metadata', { filter_metadata: { istio: { a: 1, b: [true, null, 'x'], c: { d: 'e' } } } });
    expect(r.errors).to.deep.equal([]);
    expect(r.value.filter_metadata.istio.fields.a).to.deep.equal({ number_value: 1 });
    expect(r.value.filter_metadata.istio.fields.b).to.deep.equal({ list_value: { values: [{ bool_value: true }, { null_value: 'NULL_VALUE' }, { string_value: 'x' }] } });
    expect(r.value.filter_metadata.istio.fields.c).to.deep.equal({ struct_value: { fields: { d: { string_value: 'e' } } } });
    const ratelimit = read('envoy.config.listener.v3.Filter', { name: 'rl', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit', statPrefix: 'rl', tokenBucket: { maxTokens: 10, fillInterval: '1s' } } });
    expect(ratelimit.errors).to.deep.equal([]);
    expect(ratelimit.value.typed_config).to.deep.equal({ '@type': 'type.googleapis.com/envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit', stat_prefix: 'rl', token_bucket: { max_tokens: 10, fill_interval: { seconds: 1, nanos: 0 } } });
    expect(() => encode('type.googleapis.com/envoy.config.listener.v3.Filter', ratelimit.value)).to.not.throw();
  });

  it("reads Go's duration forms as Istio does (500ms, 1h30m, .5s), and leaves out enum names newer than the shipped protos with a warning", () => {
    const d = (text: string) => read(CLUSTER, { connect_timeout: text });
    expect(d('500ms').value.connect_timeout).to.deep.equal({ seconds: 0, nanos: 500_000_000 });
    expect(d('1h30m').value.connect_timeout).to.deep.equal({ seconds: 5400, nanos: 0 });
    expect(d('.5s').value.connect_timeout).to.deep.equal({ seconds: 0, nanos: 500_000_000 });
    expect(d('1m0.25s').value.connect_timeout).to.deep.equal({ seconds: 60, nanos: 250_000_000 });
    expect(d('-2.5s').value.connect_timeout).to.deep.equal({ seconds: -2, nanos: -500_000_000 });
    expect(d('10').errors).to.have.length(1);
    expect(d('1d').errors).to.have.length(1);
    const r = read(CLUSTER, { name: 'c', lb_policy: 'FASTEST_EVER' });
    expect(r.errors).to.deep.equal([]);
    expect(r.value).to.deep.equal({ name: 'c' });
    expect(r.warnings[0]).to.match(/^value\.lb_policy: FASTEST_EVER is not a value of envoy\.config\.cluster\.v3\.Cluster\.LbPolicy in the Envoy protos mizzen ships/);
  });

  it('drops unknown fields with a warning and defaults as protobuf does; keeps defaults in lists and oneofs', () => {
    const r = read(CLUSTER, { name: '', typo_field: 1, respect_dns_ttl: false, type: 'STATIC', lb_policy: 'ROUND_ROBIN' });
    expect(r.errors).to.deep.equal([]);
    expect(r.warnings).to.deep.equal(['value: envoy.config.cluster.v3.Cluster has no field "typo_field"; ignored']);
    expect(r.value, 'ROUND_ROBIN is the enum default; type is in a oneof').to.deep.equal({ type: 'STATIC' });
    expect(read('envoy.config.route.v3.RouteAction', { retry_policy: { retriable_status_codes: [0, 503] } }).value.retry_policy.retriable_status_codes).to.deep.equal([0, 503]);
  });

  it('refuses wrong types, two members of one oneof, unknown Any types and malformed durations, naming the path', () => {
    const errors = (type: string, v: unknown) => read(type, v).errors;
    expect(errors(CLUSTER, { name: 7 })).to.deep.equal(['value.name: expected a string']);
    expect(errors(CLUSTER, { per_connection_buffer_limit_bytes: -1 })).to.deep.equal(['value.per_connection_buffer_limit_bytes: expected a whole number that is not negative']);
    expect(errors(CLUSTER, { per_connection_buffer_limit_bytes: 2 ** 32 })).to.deep.equal(['value.per_connection_buffer_limit_bytes: out of range for uint32']);
    expect(errors(CLUSTER, { connect_timeout: '5 seconds' })).to.deep.equal(['value.connect_timeout: expected a duration like "1.5s"']);
    expect(errors(CLUSTER, { lb_policy: 'fastest' })[0]).to.match(/^value\.lb_policy: expected one of ROUND_ROBIN, /);
    expect(errors(CLUSTER, { type: 'STATIC', cluster_type: { name: 'x' } })).to.deep.equal(['value: type and cluster_type are both set, but only one of the oneof cluster_discovery_type may be']);
    expect(errors('envoy.config.listener.v3.Filter', { typed_config: { '@type': 'type.googleapis.com/no.such.Type' } })[0]).to.match(/^value\.typed_config: unknown type type\.googleapis\.com\/no\.such\.Type/);
    expect(errors('envoy.config.listener.v3.Filter', { typed_config: { name: 'x' } })[0]).to.match(/^value\.typed_config: "@type" must be a type URL/);
    expect(errors(CLUSTER, 'cluster')).to.deep.equal(['value: expected an object (envoy.config.cluster.v3.Cluster)']);
    expect(errors(CLUSTER, { circuit_breakers: { thresholds: {} } })).to.deep.equal(['value.circuit_breakers.thresholds: expected a list']);
  });
});

describe('EnvoyFilter merge (protobuf merge semantics)', () => {
  const cluster = typeFor(CLUSTER);
  it('replaces scalars, merges messages, appends lists (or replaces them), replaces map entries and whole Durations', () => {
    const dst: any = { name: 'a', connect_timeout: { seconds: 10, nanos: 5 }, circuit_breakers: { thresholds: [{ priority: 'HIGH' }] }, metadata: { filter_metadata: { a: { fields: { x: { string_value: '1' } } }, b: { fields: {} } } } };
    mergeMessage(cluster, dst, { name: 'b', connect_timeout: { seconds: 1, nanos: 0 }, circuit_breakers: { thresholds: [{ max_connections: { value: 1 } }] }, metadata: { filter_metadata: { a: { fields: { y: { string_value: '2' } } } } } });
    expect(dst).to.deep.equal({
      name: 'b',
      connect_timeout: { seconds: 1, nanos: 0 },
      circuit_breakers: { thresholds: [{ priority: 'HIGH' }, { max_connections: { value: 1 } }] },
      metadata: { filter_metadata: { a: { fields: { y: { string_value: '2' } } }, b: { fields: {} } } },
    });
    mergeMessage(cluster, dst, { circuit_breakers: { thresholds: [{ priority: 'DEFAULT' }] } }, true);
    expect(dst.circuit_breakers.thresholds).to.deep.equal([{ priority: 'DEFAULT' }]);
  });

  it('a oneof member clears the others; mergeAny merges same-typed Any values and leaves others alone', () => {
    const dst: any = { type: 'EDS', eds_cluster_config: { service_name: 's' } };
    mergeMessage(cluster, dst, { cluster_type: { name: 'custom' } });
    expect(dst).to.deep.equal({ eds_cluster_config: { service_name: 's' }, cluster_type: { name: 'custom' } });
    const tcp = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
    const any: any = { '@type': tcp, stat_prefix: 'a', cluster: 'c' };
    expect(mergeAny(any, { '@type': tcp, idle_timeout: { seconds: 5, nanos: 0 } })).to.equal(true);
    expect(any).to.deep.equal({ '@type': tcp, stat_prefix: 'a', cluster: 'c', idle_timeout: { seconds: 5, nanos: 0 } });
    expect(mergeAny(any, { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' })).to.equal(false);
    expect(any.stat_prefix).to.equal('a');
  });
});
