/** EnvoyFilter (networking.istio.io/v1alpha3): Istio's webhook rules and CRD rules, mizzen's warnings, wrong types. */
import { expect } from 'chai';
import { validateObject } from '../../src/validation/index.js';
import { EFFECTIVE_OPERATIONS } from '../../src/validation/envoyfilter.js';
import { runTable, wrap, type Case } from './table.js';

const HCM = 'envoy.filters.network.http_connection_manager';
const ROUTER = 'envoy.filters.http.router';
const value = { name: 'envoy.filters.http.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', inlineCode: 'function envoy_on_request(h) end' } };
const patch = (p: Record<string, unknown>) => ({ configPatches: [p] });
/** An HTTP_FILTER patch with a listener match on the connection manager (and a sub-filter when given). */
const httpFilter = (filter: Record<string, unknown> = { name: HCM }, p: Record<string, unknown> = { operation: 'INSERT_BEFORE', value }) =>
  patch({ applyTo: 'HTTP_FILTER', match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter } } }, patch: p });
const op = (applyTo: string, operation: string, match?: Record<string, unknown>) =>
  patch({ applyTo, ...(match ? { match } : {}), patch: { operation, ...(operation === 'REMOVE' ? {} : { value: { name: 'x' } }) } });
const ref = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' };

runTable('EnvoyFilter', [
  // Shaped like the examples of Istio's API reference and samples
  {
    name: 'a Lua filter before the router of one workload\'s inbound connection manager',
    in: { workloadSelector: { labels: { app: 'reviews' } }, ...httpFilter({ name: HCM, subFilter: { name: ROUTER } }) },
    valid: true,
  },
  {
    name: 'mesh-wide connection manager tweak in the root namespace, context omitted',
    in: patch({ applyTo: 'NETWORK_FILTER', match: { listener: { filterChain: { filter: { name: HCM } } } }, patch: { operation: 'MERGE', value: { name: HCM, typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', common_http_protocol_options: { idle_timeout: '30s' } } } } }),
    meta: { namespace: 'istio-system' },
    valid: true,
  },
  {
    name: 'a cluster added and a route configuration merged, with a priority',
    in: {
      priority: -10,
      configPatches: [
        { applyTo: 'CLUSTER', match: { context: 'SIDECAR_OUTBOUND', cluster: { service: 'ratelimit.default.svc.cluster.local', portNumber: 8081 } }, patch: { operation: 'ADD', value: { name: 'rate_limit_cluster', type: 'STRICT_DNS' } } },
        { applyTo: 'ROUTE_CONFIGURATION', match: { context: 'GATEWAY', routeConfiguration: { portNumber: 443, portName: 'https', gateway: 'istio-system/gw', name: 'https.443.https.gw.istio-system' } }, patch: { operation: 'MERGE', value: { request_headers_to_add: [] } } },
        { applyTo: 'VIRTUAL_HOST', match: { routeConfiguration: { vhost: { name: 'reviews.default.svc.cluster.local:9080', domainName: 'reviews' } } }, patch: { operation: 'REPLACE', value: { name: 'v', domains: ['*'] } } },
        { applyTo: 'HTTP_ROUTE', match: { routeConfiguration: { vhost: { route: { name: 'default', action: 'ROUTE' } } } }, patch: { operation: 'INSERT_FIRST', value: { name: 'first' } } },
      ],
    },
    valid: true,
  },
  {
    name: 'a listener filter replaced, matched by name',
    in: patch({ applyTo: 'LISTENER_FILTER', match: { context: 'SIDECAR_INBOUND', listener: { listenerFilter: 'envoy.filters.listener.tls_inspector' } }, patch: { operation: 'REPLACE', value: { name: 'envoy.filters.listener.tls_inspector' } } }),
    valid: true,
  },
  {
    name: 'every match field',
    in: patch({
      applyTo: 'FILTER_CHAIN',
      match: {
        context: 'SIDECAR_INBOUND',
        proxy: { proxyVersion: '^1\\.2[0-9].*', metadata: { ISTIO_VERSION: '1.24.0' } },
        listener: { portNumber: 8080, name: 'virtualInbound', listenerFilter: 'envoy.filters.listener.http_inspector', filterChain: { name: 'inbound|8080||', sni: 'a.example.com', transportProtocol: 'tls', applicationProtocols: 'h2,http/1.1', destinationPort: 8080 } },
      },
      patch: { operation: 'MERGE', value: { transport_socket_connect_timeout: '5s' }, filterClass: 'UNSPECIFIED' },
    }),
    valid: true,
  },
  { name: 'REMOVE needs no value', in: op('CLUSTER', 'REMOVE', { cluster: { name: 'outbound|80||a.default.svc.cluster.local' } }), valid: true },
  { name: 'an empty object is a value', in: patch({ applyTo: 'LISTENER', patch: { operation: 'MERGE', value: {} } }), valid: true },
  { name: 'MERGE_AND_REPLACE_LIST on a cluster', in: op('CLUSTER', 'MERGE_AND_REPLACE_LIST'), valid: true },
  { name: 'no patches at all', in: {}, valid: true },
  { name: 'no spec at all', in: { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'ef', namespace: 'default' } }, whole: true, valid: true },
  { name: 'v1alpha3 is the only version: v1 is refused', in: { apiVersion: 'networking.istio.io/v1', kind: 'EnvoyFilter', metadata: { name: 'ef' }, spec: {} }, whole: true, valid: false, error: 'unsupported kind EnvoyFilter in networking.istio.io/v1: EnvoyFilter is served as networking.istio.io/v1alpha3 only' },
  { name: 'nor v1beta1', in: { apiVersion: 'networking.istio.io/v1beta1', kind: 'EnvoyFilter', metadata: { name: 'ef' }, spec: {} }, whole: true, valid: false, error: 'served as networking.istio.io/v1alpha3 only' },

  // Istio's webhook rules
  { name: 'applyTo missing', in: patch({ patch: { operation: 'REMOVE' } }), valid: false, error: 'spec.configPatches[0].applyTo: is required' },
  { name: 'applyTo INVALID', in: patch({ applyTo: 'INVALID', patch: { operation: 'REMOVE' } }), valid: false, error: 'spec.configPatches[0].applyTo: is required' },
  { name: 'patch missing', in: patch({ applyTo: 'CLUSTER' }), valid: false, error: 'spec.configPatches[0].patch: is required' },
  { name: 'patch null', in: patch({ applyTo: 'CLUSTER', patch: null }), valid: false, error: 'spec.configPatches[0].patch: is required' },
  { name: 'operation missing', in: patch({ applyTo: 'CLUSTER', patch: { value: { name: 'c' } } }), valid: false, error: 'spec.configPatches[0].patch.operation: is required' },
  { name: 'operation INVALID', in: patch({ applyTo: 'CLUSTER', patch: { operation: 'INVALID', value: {} } }), valid: false, error: 'spec.configPatches[0].patch.operation: is required' },
  { name: 'MERGE without a value', in: patch({ applyTo: 'CLUSTER', patch: { operation: 'MERGE' } }), valid: false, error: 'spec.configPatches[0].patch.value: is required for operation MERGE' },
  { name: 'ADD without a value', in: patch({ applyTo: 'LISTENER', patch: { operation: 'ADD' } }), valid: false, error: 'spec.configPatches[0].patch.value: is required for operation ADD' },
  { name: 'INSERT_AFTER with a null value', in: httpFilter(undefined, { operation: 'INSERT_AFTER', value: null }), valid: false, error: 'spec.configPatches[0].patch.value: is required for operation INSERT_AFTER' },
  { name: 'REPLACE without a value', in: httpFilter(undefined, { operation: 'REPLACE' }), valid: false, error: 'patch.value: is required for operation REPLACE' },
  { name: 'a value that is not an object', in: patch({ applyTo: 'CLUSTER', patch: { operation: 'ADD', value: 'cluster' } }), valid: false, error: 'spec.configPatches[0].patch.value: must be an object' },
  { name: 'proxyVersion not RE2', in: patch({ applyTo: 'CLUSTER', match: { proxy: { proxyVersion: '1\\.2++' } }, patch: { operation: 'REMOVE' } }), valid: false, error: 'spec.configPatches[0].match.proxy.proxyVersion: invalid RE2 regex' },
  { name: 'proxyVersion with an unclosed group', in: patch({ applyTo: 'CLUSTER', match: { proxy: { proxyVersion: '^(1\\.2' } }, patch: { operation: 'REMOVE' } }), valid: false, error: 'match.proxy.proxyVersion: invalid RE2 regex' },
  { name: 'proxyVersion longer than 1024: warned, not compiled', in: patch({ applyTo: 'CLUSTER', match: { proxy: { proxyVersion: '(' + 'a'.repeat(1024) } }, patch: { operation: 'REMOVE' } }), valid: true, warning: 'spec.configPatches[0].match.proxy.proxyVersion: longer than 1024 characters: the expression is not compiled and the patch matches no proxy' },
  { name: 'a cluster match with applyTo LISTENER', in: op('LISTENER', 'MERGE', { cluster: { service: 'a' } }), valid: false, error: 'spec.configPatches[0].match.cluster: applyTo LISTENER needs a listener match, not a cluster match' },
  { name: 'a route match with applyTo HTTP_FILTER', in: op('HTTP_FILTER', 'ADD', { routeConfiguration: { name: '80' } }), valid: false, error: 'spec.configPatches[0].match.routeConfiguration: applyTo HTTP_FILTER needs a listener match' },
  { name: 'a listener match with applyTo VIRTUAL_HOST', in: op('VIRTUAL_HOST', 'REMOVE', { listener: { portNumber: 80 } }), valid: false, error: 'spec.configPatches[0].match.listener: applyTo VIRTUAL_HOST needs a routeConfiguration match, not a listener match' },
  { name: 'a cluster match with applyTo HTTP_ROUTE', in: op('HTTP_ROUTE', 'MERGE', { cluster: { name: 'c' } }), valid: false, error: 'match.cluster: applyTo HTTP_ROUTE needs a routeConfiguration match' },
  { name: 'a listener match with applyTo CLUSTER', in: op('CLUSTER', 'MERGE', { listener: { portNumber: 80 } }), valid: false, error: 'spec.configPatches[0].match.listener: applyTo CLUSTER needs a cluster match, not a listener match' },
  { name: 'a match with no object fits any applyTo', in: op('CLUSTER', 'MERGE', { context: 'SIDECAR_OUTBOUND', proxy: { metadata: { k: 'v' } } }), valid: true },
  { name: 'a filter match without a name', in: httpFilter({}), valid: false, error: 'spec.configPatches[0].match.listener.filterChain.filter.name: a filter match needs a filter name' },
  { name: 'a filter match with an empty name', in: httpFilter({ name: '' }), valid: false, error: 'filterChain.filter.name: a filter match needs a filter name' },
  { name: 'a subFilter with applyTo NETWORK_FILTER', in: patch({ applyTo: 'NETWORK_FILTER', match: { listener: { filterChain: { filter: { name: HCM, subFilter: { name: ROUTER } } } } }, patch: { operation: 'REMOVE' } }), valid: false, error: 'spec.configPatches[0].match.listener.filterChain.filter.subFilter: a subFilter match is only used with applyTo HTTP_FILTER, not NETWORK_FILTER' },
  { name: 'a subFilter under a filter that is not the connection manager', in: httpFilter({ name: 'envoy.filters.network.tcp_proxy', subFilter: { name: ROUTER } }), valid: false, error: `spec.configPatches[0].match.listener.filterChain.filter.name: a subFilter match needs the filter match to name ${HCM}, not "envoy.filters.network.tcp_proxy"` },
  { name: 'a subFilter without a name', in: httpFilter({ name: HCM, subFilter: {} }), valid: false, error: 'spec.configPatches[0].match.listener.filterChain.filter.subFilter.name: a subFilter match needs a filter name' },
  { name: 'a subFilter under the legacy connection manager name: accepted, warned', in: httpFilter({ name: 'envoy.http_connection_manager', subFilter: { name: ROUTER } }), valid: true, warning: `filterChain.filter.name: deprecated filter name "envoy.http_connection_manager": use "${HCM}"` },
  { name: 'legacy sub-filter name', in: httpFilter({ name: HCM, subFilter: { name: 'envoy.router' } }), valid: true, warning: 'filterChain.filter.subFilter.name: deprecated filter name "envoy.router": use "envoy.filters.http.router"' },
  { name: 'envoy.ext_authz as a sub-filter is the HTTP one', in: httpFilter({ name: HCM, subFilter: { name: 'envoy.ext_authz' } }), valid: true, warning: 'use "envoy.filters.http.ext_authz"' },
  { name: 'envoy.ext_authz as a network filter is the network one', in: op('NETWORK_FILTER', 'REMOVE', { listener: { filterChain: { filter: { name: 'envoy.ext_authz' } } } }), valid: true, warning: 'use "envoy.filters.network.ext_authz"' },
  { name: 'a filter match with applyTo FILTER_CHAIN: warned, no effect', in: op('FILTER_CHAIN', 'MERGE', { listener: { filterChain: { filter: { name: HCM } } } }), valid: true, warning: 'spec.configPatches[0].match.listener.filterChain.filter: a filter match has no effect with applyTo FILTER_CHAIN' },
  { name: 'a filter match with applyTo LISTENER: warned', in: op('LISTENER', 'REMOVE', { listener: { filterChain: { filter: { name: HCM } } } }), valid: true, warning: 'a filter match has no effect with applyTo LISTENER' },

  // The CRD's rules
  { name: 'workloadSelector with targetRefs', in: { workloadSelector: { labels: { app: 'a' } }, targetRefs: [ref] }, valid: false, error: 'spec: only one of workloadSelector, targetRefs may be set' },
  { name: 'two match objects', in: op('LISTENER', 'MERGE', { listener: {}, cluster: {} }), valid: false, error: 'spec.configPatches[0].match: only one of listener, routeConfiguration, cluster, waypoint may be set' },
  { name: 'a waypoint match outside the WAYPOINT context', in: op('HTTP_FILTER', 'REMOVE', { context: 'SIDECAR_INBOUND', waypoint: { filter: { name: HCM } } }), valid: false, error: 'spec.configPatches[0].match: a waypoint match is only allowed with context WAYPOINT' },
  { name: 'a waypoint match with no context', in: op('CLUSTER', 'REMOVE', { waypoint: {} }), valid: false, error: 'spec.configPatches[0].match: a waypoint match is only allowed with context WAYPOINT' },
  { name: 'context WAYPOINT without a waypoint match', in: op('HTTP_FILTER', 'REMOVE', { context: 'WAYPOINT', listener: {} }), valid: false, error: 'spec.configPatches[0].match: context WAYPOINT needs a waypoint match' },
  { name: 'waypoint port 0', in: op('CLUSTER', 'REMOVE', { context: 'WAYPOINT', waypoint: { portNumber: 0 } }), valid: false, error: 'spec.configPatches[0].match.waypoint.portNumber: port 0 must be between 1 and 65535' },
  { name: 'waypoint port 65536', in: op('CLUSTER', 'REMOVE', { context: 'WAYPOINT', waypoint: { portNumber: 65536 } }), valid: false, error: 'match.waypoint.portNumber: port 65536 must be between 1 and 65535' },
  { name: 'a WAYPOINT patch is accepted, warned, and checked no further (as Istio)', in: patch({ match: { context: 'WAYPOINT', waypoint: { portNumber: 80, route: { name: 'r' }, filter: { name: HCM, subFilter: { name: ROUTER } } } } }), valid: true, warning: 'spec.configPatches[0].match.context: mizzen runs no waypoint proxies' },
  { name: 'unknown applyTo', in: op('ROUTE', 'MERGE'), valid: false, error: 'spec.configPatches[0].applyTo: unsupported value "ROUTE"' },
  { name: 'unknown operation', in: patch({ applyTo: 'CLUSTER', patch: { operation: 'DELETE' } }), valid: false, error: 'spec.configPatches[0].patch.operation: unsupported value "DELETE"' },
  { name: 'unknown context', in: op('CLUSTER', 'REMOVE', { context: 'SIDECAR' }), valid: false, error: 'spec.configPatches[0].match.context: unsupported value "SIDECAR"' },
  { name: 'unknown route action', in: op('HTTP_ROUTE', 'REMOVE', { routeConfiguration: { vhost: { route: { action: 'FORWARD' } } } }), valid: false, error: 'match.routeConfiguration.vhost.route.action: unsupported value "FORWARD"' },
  { name: 'unknown filterClass', in: patch({ applyTo: 'HTTP_FILTER', patch: { operation: 'ADD', value, filterClass: 'AUTH' } }), valid: false, error: 'spec.configPatches[0].patch.filterClass: unsupported value "AUTH"' },
  { name: 'priority beyond int32', in: { priority: 2147483648 }, valid: false, error: 'spec.priority: 2147483648 is out of range' },
  { name: 'priority not an integer', in: { priority: 1.5 }, valid: false, error: 'spec.priority: must be an integer' },
  { name: 'negative port number', in: op('CLUSTER', 'REMOVE', { cluster: { portNumber: -1 } }), valid: false, error: 'spec.configPatches[0].match.cluster.portNumber: -1 is out of range' },
  { name: 'selector wildcard value', in: { workloadSelector: { labels: { app: 'r*' } } }, valid: false, error: 'spec.workloadSelector.labels[app]: wildcard not allowed' },
  { name: 'selector empty key', in: { workloadSelector: { labels: { '': 'a' } } }, valid: false, error: 'spec.workloadSelector.labels[]: key must not be empty' },
  { name: 'selector value too long', in: { workloadSelector: { labels: { app: 'a'.repeat(64) } } }, valid: false, error: 'spec.workloadSelector.labels[app]: must be at most 63 characters' },
  { name: 'selector without labels warns', in: { workloadSelector: {} }, valid: true, warning: 'spec.workloadSelector: workload selector specified without labels' },
  { name: 'targetRef across namespaces', in: { targetRefs: [{ ...ref, namespace: 'other' }] }, valid: false, error: 'spec.targetRefs[0].namespace: cross namespace referencing is not supported' },
  { name: 'targetRef without a name', in: { targetRefs: [{ kind: 'Gateway' }] }, valid: false, error: 'spec.targetRefs[0].name: is required' },
  { name: 'seventeen targetRefs', in: { targetRefs: Array.from({ length: 17 }, (_, i) => ({ ...ref, name: `g${i}` })) }, valid: false, error: 'spec.targetRefs: must have at most 16 items' },

  // What mizzen or Istio leaves without effect
  { name: 'targetRefs to a Gateway: attached to its gateways, no warning of it', in: { targetRefs: [ref] }, valid: true },
  { name: 'targetRefs to a Service: warned, for waypoints', in: { targetRefs: [ref, { kind: 'Service', group: '', name: 'reviews' }] }, valid: true, warning: "spec.targetRefs[1]: attaches this EnvoyFilter to nothing: a Service target is for waypoints, which mizzen does not run (a Gateway of gateway.networking.k8s.io attaches it to that Gateway's gateways)" },
  { name: 'BOOTSTRAP: accepted, warned', in: op('BOOTSTRAP', 'MERGE'), valid: true, warning: 'spec.configPatches[0].applyTo: mizzen writes the Envoy bootstrap when it injects the sidecar and does not patch it' },
  { name: 'EXTENSION_CONFIG: accepted, warned', in: op('EXTENSION_CONFIG', 'ADD'), valid: true, warning: 'spec.configPatches[0].applyTo: mizzen serves no extension config discovery (ECDS)' },
  { name: 'ADD on a route configuration changes nothing', in: op('ROUTE_CONFIGURATION', 'ADD'), valid: true, warning: 'spec.configPatches[0].patch.operation: ADD is not applied to ROUTE_CONFIGURATION (only MERGE, MERGE_AND_REPLACE_LIST are)' },
  { name: 'REMOVE on a route configuration changes nothing', in: op('ROUTE_CONFIGURATION', 'REMOVE'), valid: true, warning: 'REMOVE is not applied to ROUTE_CONFIGURATION' },
  { name: 'REPLACE on a cluster changes nothing', in: op('CLUSTER', 'REPLACE'), valid: true, warning: 'spec.configPatches[0].patch.operation: REPLACE is not applied to CLUSTER' },
  { name: 'REPLACE on an HTTP route changes nothing', in: op('HTTP_ROUTE', 'REPLACE'), valid: true, warning: 'REPLACE is not applied to HTTP_ROUTE' },
  { name: 'MERGE_AND_REPLACE_LIST on a filter changes nothing', in: httpFilter(undefined, { operation: 'MERGE_AND_REPLACE_LIST', value }), valid: true, warning: 'MERGE_AND_REPLACE_LIST is not applied to HTTP_FILTER' },
  { name: 'MERGE on an extension config changes nothing', in: op('EXTENSION_CONFIG', 'MERGE'), valid: true, warning: 'MERGE is not applied to EXTENSION_CONFIG' },
  { name: 'listener portName: accepted, warned it is not implemented', in: op('LISTENER', 'REMOVE', { listener: { portName: 'http' } }), valid: true, warning: 'spec.configPatches[0].match.listener.portName: listener portName is not implemented' },
  { name: 'legacy listener filter name', in: op('LISTENER_FILTER', 'REMOVE', { listener: { listenerFilter: 'envoy.listener.tls_inspector' } }), valid: true, warning: 'spec.configPatches[0].match.listener.listenerFilter: deprecated filter name "envoy.listener.tls_inspector": use "envoy.filters.listener.tls_inspector"' },
  { name: 'a cluster match does not narrow a LISTENER_FILTER patch', in: op('LISTENER_FILTER', 'REMOVE', { cluster: { name: 'c' } }), valid: true, warning: 'spec.configPatches[0].match.cluster: a cluster match does not select listeners: this LISTENER_FILTER patch applies to every listener' },

  // wrong shapes
  { name: 'configPatches as an object', in: { configPatches: { applyTo: 'CLUSTER' } }, valid: false, error: 'spec.configPatches: must be a list, not an object' },
  { name: 'a null patch entry', in: { configPatches: [null] }, valid: false, error: 'spec.configPatches[0]: must be an object, not null' },
  { name: 'match as a list', in: patch({ applyTo: 'CLUSTER', match: [], patch: { operation: 'REMOVE' } }), valid: false, error: 'spec.configPatches[0].match: must be an object, not a list' },
  { name: 'proxy metadata values are strings', in: op('CLUSTER', 'REMOVE', { proxy: { metadata: { n: 1 } } }), valid: false, error: 'spec.configPatches[0].match.proxy.metadata[n]: must be a string' },
  { name: 'snake_case field names are not the CRD\'s', in: { config_patches: [] }, valid: false, error: 'spec.config_patches: unknown field' },
  { name: 'unknown match field', in: op('CLUSTER', 'REMOVE', { app: 'a' }), valid: false, error: 'spec.configPatches[0].match.app: unknown field' },
  { name: 'the old workloadLabels/filters API is gone', in: { workloadLabels: { app: 'a' }, filters: [] }, valid: false, error: 'spec.workloadLabels: unknown field' },
] satisfies Case[]);

const UNSTABLE = 'EnvoyFilter edits the generated Envoy configuration directly';

describe('EnvoyFilter validation: warnings and the operation table', () => {
  it('every EnvoyFilter gets the one warning Istio always gives (the API is not stable); a plain one nothing else', async () => {
    const r = validateObject(wrap('EnvoyFilter', httpFilter({ name: HCM, subFilter: { name: ROUTER } })));
    expect(r.errors).to.deep.equal([]);
    expect(r.warnings).to.have.length(1);
    expect(r.warnings[0]).to.match(new RegExp(`^${UNSTABLE}`));
  });

  it('says every ignored part once, each under its path', async () => {
    const r = validateObject(
      wrap('EnvoyFilter', {
        targetRefs: [{ kind: 'GatewayClass', group: 'gateway.networking.k8s.io', name: 'istio-waypoint' }],
        configPatches: [
          { applyTo: 'BOOTSTRAP', patch: { operation: 'MERGE', value: {} } },
          { applyTo: 'CLUSTER', patch: { operation: 'REPLACE', value: {} } },
          { applyTo: 'HTTP_FILTER', match: { context: 'WAYPOINT', waypoint: {} } },
          { applyTo: 'HTTP_FILTER', match: { listener: { portName: 'http', filterChain: { filter: { name: HCM, subFilter: { name: 'envoy.cors' } } } } }, patch: { operation: 'ADD', value } },
        ],
      }),
    );
    expect(r.errors).to.deep.equal([]);
    expect(r.warnings.map((w) => w.slice(0, w.indexOf(':')))).to.deep.equal([
      UNSTABLE,
      'spec.targetRefs[0]',
      'spec.configPatches[0].applyTo',
      'spec.configPatches[1].patch.operation',
      'spec.configPatches[2].match.context',
      'spec.configPatches[3].match.listener.portName',
      'spec.configPatches[3].match.listener.filterChain.filter.subFilter.name',
    ]);
  });

  it('decodes each value as the Envoy message applyTo names: wrong types and unknown @types are errors, unknown fields and filters without typed_config warnings', async () => {
    const r = validateObject(
      wrap('EnvoyFilter', {
        configPatches: [
          { applyTo: 'CLUSTER', patch: { operation: 'ADD', value: { name: 'c', connectTimeout: 'soon', lb_policy: 'fastest' } } },
          { applyTo: 'HTTP_FILTER', patch: { operation: 'ADD', value: { name: 'lua', typed_config: { '@type': 'type.googleapis.com/envoy.config.filter.http.lua.v2.Lua' } } } },
          { applyTo: 'NETWORK_FILTER', patch: { operation: 'ADD', value: { name: 'envoy.filters.network.tcp_proxy', config: {} } } },
          { applyTo: 'LISTENER', patch: { operation: 'ADD', value: { name: 'l', typoField: 1, filter_chains: [{ filters: [{ name: 'bare' }] }] } } },
        ],
      }),
    );
    expect(r.errors).to.have.members([
      'spec.configPatches[0].patch.value.connectTimeout: expected a duration like "1.5s"',
      `spec.configPatches[0].patch.value.lb_policy: expected one of ${'ROUND_ROBIN'}, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG`,
      "spec.configPatches[1].patch.value.typed_config: type.googleapis.com/envoy.config.filter.http.lua.v2.Lua is of Envoy's v2 API, which Envoy no longer accepts: use its v3 type",
    ]);
    expect(r.warnings).to.include.members([
      'spec.configPatches[2].patch.value: envoy.config.listener.v3.Filter has no field "config"; ignored',
      'spec.configPatches[2].patch.value: envoy.filters.network.tcp_proxy: no typed_config; Envoy is removing the lookup of extensions by name, so give each its typed_config',
      'spec.configPatches[3].patch.value: envoy.config.listener.v3.Listener has no field "typoField"; ignored',
      'spec.configPatches[3].patch.value: bare: no typed_config; Envoy is removing the lookup of extensions by name, so give each its typed_config',
    ]);
  });

  it('reports each broken patch on its own, naming its index', async () => {
    const r = validateObject(
      wrap('EnvoyFilter', {
        configPatches: [
          { applyTo: 'CLUSTER', patch: { operation: 'ADD', value: { name: 'ok' } } },
          { applyTo: 'CLUSTER', match: { listener: {} }, patch: { operation: 'MERGE' } },
          { patch: { operation: 'REMOVE' } },
        ],
      }),
    );
    expect(r.errors).to.have.members([
      'spec.configPatches[1].patch.value: is required for operation MERGE (only REMOVE takes no value)',
      'spec.configPatches[1].match.listener: applyTo CLUSTER needs a cluster match, not a listener match',
      'spec.configPatches[2].applyTo: is required: which kind of Envoy object to patch (INVALID names none)',
    ]);
  });

  it('the operation table names, for every applyTo but BOOTSTRAP, operations that exist', async () => {
    const applyTos = Object.keys(EFFECTIVE_OPERATIONS);
    expect(applyTos).to.have.members(['LISTENER', 'FILTER_CHAIN', 'LISTENER_FILTER', 'NETWORK_FILTER', 'HTTP_FILTER', 'ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE', 'CLUSTER', 'EXTENSION_CONFIG']);
    for (const [applyTo, ops] of Object.entries(EFFECTIVE_OPERATIONS)) {
      for (const o of ops!) {
        const r = validateObject(wrap('EnvoyFilter', op(applyTo, o)));
        expect(r.errors, `${applyTo} ${o}`).to.deep.equal([]);
        expect(r.warnings.filter((w) => w.includes('patch.operation')), `${applyTo} ${o}`).to.deep.equal([]);
      }
    }
    // REPLACE is for filters and virtual hosts only (Istio's API reference says HTTP_FILTER and NETWORK_FILTER).
    expect(Object.entries(EFFECTIVE_OPERATIONS).filter(([, ops]) => ops!.includes('REPLACE')).map(([a]) => a)).to.have.members(['LISTENER_FILTER', 'NETWORK_FILTER', 'HTTP_FILTER', 'VIRTUAL_HOST']);
  });

  it('rejects every wrong-typed field without throwing', async () => {
    const spec = {
      workloadSelector: { labels: { app: 'a' } },
      configPatches: [{ applyTo: 'HTTP_FILTER', match: { listener: { filterChain: { filter: { name: HCM } } } }, patch: { operation: 'ADD', value } }],
      priority: 1,
    };
    for (const field of ['workloadSelector', 'configPatches', 'priority'] as const) {
      for (const bad of [42.5, 'x', true, [], {}, [42], ['x'], [[]]]) {
        const r = validateObject(wrap('EnvoyFilter', { ...spec, [field]: bad }));
        for (const e of r.errors) expect(e).not.to.include('internal validation error');
        const okShape = (field === 'workloadSelector' && typeof bad === 'object' && !Array.isArray(bad)) || (field === 'configPatches' && Array.isArray(bad) && bad.length === 0);
        if (!okShape) expect(r.errors.some((e) => e.startsWith(`spec.${field}`)), `${field} = ${JSON.stringify(bad)}: ${JSON.stringify(r)}`).to.equal(true);
      }
    }
  });
});
