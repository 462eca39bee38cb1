import { expect } from 'chai';
import protobuf from 'protobufjs';
import { checkPgv, durationNanos } from '../../src/xds/pgv.js';
import { envoyRoot } from '../../src/xds/proto.js';
import { TypeUrls } from '../../src/core/constants.js';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const edsCluster = { name: 'c', type: 'EDS', connect_timeout: { seconds: 1 }, eds_cluster_config: { eds_config: { ads: {} } } };

describe('protoc-gen-validate checker', () => {
  const table: Array<{ name: string; type: string; msg: unknown; want: string[] }> = [
    { name: 'a valid cluster', type: TypeUrls.cluster, msg: edsCluster, want: [] },
    { name: 'empty required string (string.min_len)', type: TypeUrls.cluster, msg: { ...edsCluster, name: '' }, want: ['name: string.min_len = 1 (got 0)'] },
    { name: 'unset required string counts as empty', type: TypeUrls.cluster, msg: { type: 'EDS' }, want: ['name: string.min_len = 1 (got 0)'] },
    { name: 'out-of-range number in a wrapper (uint32.lte)', type: TypeUrls.cluster, msg: { ...edsCluster, outlier_detection: { max_ejection_percent: { value: 101 } } }, want: ['outlier_detection.max_ejection_percent: uint32.lte = 100 (got 101)'] },
    { name: 'duration.gt', type: TypeUrls.cluster, msg: { ...edsCluster, connect_timeout: { seconds: 0 } }, want: ['connect_timeout: duration.gt = 0s (got 0s)'] },
    { name: 'enum.defined_only', type: TypeUrls.cluster, msg: { ...edsCluster, lb_policy: 42 }, want: ['lb_policy: enum.defined_only (42)'] },
    {
      name: 'enum.not_in written with a single value in the proto (`not_in: 0`)',
      type: 'envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher',
      msg: { san_type: 'SAN_TYPE_UNSPECIFIED', matcher: { exact: 'a' } },
      want: ['san_type: enum.not_in [0] (got 0)'],
    },
    { name: 'a SAN type it allows', type: 'envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher', msg: { san_type: 'DNS', matcher: { exact: 'a' } }, want: [] },
    { name: 'unknown enum name', type: TypeUrls.cluster, msg: { ...edsCluster, lb_policy: 'FASTEST' }, want: ['lb_policy: unknown LbPolicy value "FASTEST"'] },
    { name: 'unknown field (a typo protobufjs would drop)', type: TypeUrls.cluster, msg: { ...edsCluster, conect_timeout: { seconds: 1 } }, want: ['conect_timeout: unknown field'] },
    {
      name: 'missing required message (message.required) in a list item',
      type: TypeUrls.route,
      msg: { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ route: { cluster: 'c' } }] }] },
      want: ['virtual_hosts[0].routes[0].match: message.required'],
    },
    {
      name: 'required oneof unset',
      type: TypeUrls.route,
      msg: { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: {}, route: { cluster: 'c' } }] }] },
      want: ['virtual_hosts[0].routes[0].match: oneof path_specifier: one of prefix, path, safe_regex, connect_matcher, path_separated_prefix, path_match_policy is required'],
    },
    {
      name: 'repeated.min_items and port range',
      type: TypeUrls.route,
      msg: { name: 'r', virtual_hosts: [{ name: 'v', domains: [], routes: [] }] },
      want: ['virtual_hosts[0].domains: repeated.min_items = 1 (has 0)'],
    },
    {
      name: 'well-known regex on a header name (non-strict here: only NUL, CR, LF are refused)',
      type: TypeUrls.route,
      msg: { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/', headers: [{ name: 'bad\nheader', present_match: true }] }, route: { cluster: 'c' } }] }] },
      want: ['virtual_hosts[0].routes[0].match.headers[0].name: string.well_known_regex HTTP_HEADER_NAME (got "bad\\nheader")'],
    },
    {
      name: 'inside an Any (typed_config), resolved by @type',
      type: TypeUrls.listener,
      msg: { name: 'l', address: { socket_address: { address: '0.0.0.0', port_value: 80 } }, filter_chains: [{ filters: [{ name: 'hcm', typed_config: { '@type': HCM, stat_prefix: '', rds: { route_config_name: 'x', config_source: { ads: {} } } } }] }] },
      want: ['filter_chains[0].filters[0].typed_config.stat_prefix: string.min_len = 1 (got 0)'],
    },
    {
      name: 'Any of an unknown type',
      type: TypeUrls.listener,
      msg: { name: 'l', filter_chains: [{ filters: [{ name: 'x', typed_config: { '@type': 'type.googleapis.com/no.such.Type' } }] }] },
      want: ['filter_chains[0].filters[0].typed_config: Any of unknown type type.googleapis.com/no.such.Type'],
    },
    {
      name: 'socket address port above 65535',
      type: TypeUrls.endpoint,
      msg: { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '1.2.3.4', port_value: 70000 } } } }] }] },
      want: ['endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: uint32.lte = 65535 (got 70000)'],
    },
    {
      name: 'two members of one oneof',
      type: TypeUrls.route,
      msg: { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/', path: '/x' }, route: { cluster: 'c' } }] }] },
      want: ['virtual_hosts[0].routes[0].match: oneof path_specifier: more than one of prefix, path set'],
    },
    {
      name: 'map values are checked',
      type: TypeUrls.cluster,
      msg: { ...edsCluster, typed_extension_protocol_options: { x: { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions' } } },
      want: ['typed_extension_protocol_options["x"]: oneof upstream_protocol_options: one of explicit_http_config, use_downstream_protocol_config, auto_config is required'],
    },
    { name: 'not an object', type: TypeUrls.cluster, msg: 'cluster', want: ['<root>: expected message envoy.config.cluster.v3.Cluster'] },
  ];
  for (const t of table) {
    it(t.name, () => {
      expect(checkPgv(envoyRoot(), t.type, t.msg)).to.deep.equal(t.want);
    });
  }

  it('accepts a protobufjs message as well as a plain object', () => {
    const T = envoyRoot().lookupType('envoy.config.cluster.v3.Cluster');
    const msg = T.fromObject({ ...edsCluster, name: '' });
    expect(msg).to.be.instanceOf(protobuf.Message);
    expect(checkPgv(envoyRoot(), TypeUrls.cluster, msg)).to.deep.equal(['name: string.min_len = 1 (got 0)']);
  });

  it('reads durations in both forms', () => {
    expect(durationNanos({ seconds: 1, nanos: 5 })).to.equal(1_000_000_005);
    expect(durationNanos('1.5s')).to.equal(1_500_000_000);
    expect(durationNanos('x')).to.equal(undefined);
  });
});
