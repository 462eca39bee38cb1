/**
 * Robustness: validateObject never throws and never hits an internal error, whatever the input: garbage at the top,
 * and every field of a rich valid object of each kind replaced by values of the wrong type.
 */
import { expect } from 'chai';
import { validateObject } from '../../src/validation/index.js';
import { wrap } from './table.js';

const RICH: Record<string, unknown> = {
  VirtualService: {
    hosts: ['reviews', '*.example.com'],
    gateways: ['mesh', 'istio-system/gw'],
    exportTo: ['.'],
    http: [
      {
        name: 'r',
        match: [{ uri: { prefix: '/a' }, headers: { 'end-user': { exact: 'jason' } }, withoutHeaders: { x: {} }, queryParams: { q: { regex: 'a+' } }, port: 80, sourceLabels: { app: 'a' }, gateways: ['gw'], sourceNamespace: 'ns', ignoreUriCase: true }],
        route: [{ destination: { host: 'reviews', subset: 'v1', port: { number: 9080 } }, weight: 50, headers: { request: { set: { a: 'b' } } } }, { destination: { host: 'reviews', subset: 'v2' }, weight: 50 }],
        rewrite: { uri: '/b', authority: 'x' },
        timeout: '1s',
        retries: { attempts: 3, perTryTimeout: '1s', retryOn: '5xx' },
        fault: { delay: { fixedDelay: '1s', percentage: { value: 10 } }, abort: { httpStatus: 500, percentage: { value: 1 } } },
        mirror: { host: 'm' },
        mirrorPercentage: { value: 5 },
        corsPolicy: { allowOrigins: [{ exact: 'a' }], allowMethods: ['GET'], maxAge: '1h' },
        headers: { request: { add: { a: 'b' }, remove: ['c'] }, response: { set: { d: 'e' } } },
      },
      { redirect: { uri: '/x', redirectCode: 301 } },
      { directResponse: { status: 200, body: { string: 'ok' } } },
    ],
    tls: [{ match: [{ sniHosts: ['a.example.com'], port: 443, destinationSubnets: ['10.0.0.0/8'] }], route: [{ destination: { host: 'a' } }] }],
    tcp: [{ match: [{ port: 27017, sourceLabels: { a: 'b' } }], route: [{ destination: { host: 'mongo' }, weight: 100 }] }],
  },
  DestinationRule: {
    host: 'reviews',
    trafficPolicy: {
      loadBalancer: { consistentHash: { httpCookie: { name: 'u', ttl: '1s', attributes: [{ name: 'a', value: 'b' }] }, maglev: { tableSize: 65537 } }, localityLbSetting: { distribute: [{ from: 'a/*', to: { 'a/b': 100 } }] }, warmup: { duration: '1s' } },
      connectionPool: { tcp: { maxConnections: 1, connectTimeout: '1s', tcpKeepalive: { time: '1s', probes: 1 } }, http: { http2MaxRequests: 1, idleTimeout: '1s', http2KeepAlive: { interval: '1s', timeout: '1s' } } },
      outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '1s', maxEjectionPercent: 10, outlierDetectionHttpErrorCodes: [503] },
      tls: { mode: 'MUTUAL', clientCertificate: 'c', privateKey: 'k', subjectAltNames: ['a'] },
      portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: 'RANDOM' } }],
      tunnel: { protocol: 'CONNECT', targetHost: 'a.com', targetPort: 1 },
      retryBudget: { percent: 10, minRetryConcurrency: 1, budgetInterval: '1s' },
    },
    subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }],
    exportTo: ['.'],
    workloadSelector: { matchLabels: { app: 'a' } },
  },
  Gateway: {
    selector: { istio: 'ingressgateway' },
    servers: [
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['ns/a.example.com'], tls: { mode: 'MUTUAL', caCertificates: 'ca', cipherSuites: ['AES128-SHA'], tlsCertificates: [{ serverCertificate: 'c', privateKey: 'k' }] }, bind: '0.0.0.0', name: 's' },
      { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'], tls: { httpsRedirect: true } },
    ],
  },
  ServiceEntry: {
    hosts: ['a.example.com'],
    addresses: ['10.0.0.1'],
    ports: [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 }],
    location: 'MESH_INTERNAL',
    resolution: 'STATIC',
    endpoints: [{ address: '10.0.0.2', ports: { http: 8080 }, labels: { a: 'b' }, network: 'n', locality: 'r/z', weight: 1, serviceAccount: 's' }],
    exportTo: ['~'],
    subjectAltNames: ['a'],
  },
  Sidecar: {
    workloadSelector: { labels: { app: 'a' } },
    ingress: [{ port: { number: 9443, protocol: 'HTTPS', name: 'https' }, bind: '0.0.0.0', captureMode: 'DEFAULT', defaultEndpoint: '127.0.0.1:8080', tls: { mode: 'SIMPLE', serverCertificate: 'c', privateKey: 'k' }, connectionPool: { tcp: { maxConnections: 1 } } }],
    egress: [{ port: { number: 80, protocol: 'HTTP', name: 'http' }, bind: '127.0.0.1', captureMode: 'NONE', hosts: ['./*'] }, { hosts: ['istio-system/*'] }],
    inboundConnectionPool: { http: { maxRetries: 1 } },
    outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'egress.example.com', port: { number: 3128 } } },
  },
  WorkloadEntry: { address: '10.0.0.5', ports: { http: 8080 }, labels: { app: 'a' }, network: 'n', locality: 'r', weight: 1, serviceAccount: 's' },
  WorkloadGroup: {
    metadata: { labels: { app: 'a' }, annotations: { a: 'b' } },
    template: { ports: { http: 80 }, serviceAccount: 's' },
    probe: { periodSeconds: 1, httpGet: { path: '/', port: 80, httpHeaders: [{ name: 'x', value: 'y' }] } },
  },
  PeerAuthentication: { selector: { matchLabels: { app: 'a' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
  AuthorizationPolicy: {
    selector: { matchLabels: { app: 'a' } },
    action: 'DENY',
    rules: [{ from: [{ source: { principals: ['a'], ipBlocks: ['10.0.0.0/8'], notNamespaces: ['b'] } }], to: [{ operation: { ports: ['80'], methods: ['GET'], paths: ['/{*}'] } }], when: [{ key: 'request.headers[x]', values: ['y'], notValues: ['z'] }] }],
  },
  RequestAuthentication: {
    selector: { matchLabels: { app: 'a' } },
    jwtRules: [{ issuer: 'i', audiences: ['a'], jwksUri: 'https://a.example.com/k', fromHeaders: [{ name: 'x', prefix: 'B ' }], fromParams: ['t'], fromCookies: ['c'], outputClaimToHeaders: [{ header: 'x-a', claim: 'a' }], outputPayloadToHeader: 'x-p', forwardOriginalToken: true, timeout: '1s' }],
  },
  EnvoyFilter: {
    workloadSelector: { labels: { app: 'a' } },
    priority: 10,
    configPatches: [
      {
        applyTo: 'HTTP_FILTER',
        match: { context: 'SIDECAR_INBOUND', proxy: { proxyVersion: '^1\\..*', metadata: { k: 'v' } }, listener: { portNumber: 80, name: 'l', listenerFilter: 'f', filterChain: { name: 'c', sni: 's', transportProtocol: 'tls', applicationProtocols: 'h2', destinationPort: 80, filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } },
        patch: { operation: 'INSERT_BEFORE', value: { name: 'x', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', default_source_code: { inline_string: 'x' }, source_codes: { a: { filename: 'f', environment_variable: null } } } }, filterClass: 'AUTHZ' },
      },
      { applyTo: 'VIRTUAL_HOST', match: { context: 'GATEWAY', routeConfiguration: { portNumber: 443, portName: 'https', gateway: 'ns/gw', name: 'r', vhost: { name: 'v', domainName: 'd', route: { name: 'n', action: 'ROUTE' } } } }, patch: { operation: 'MERGE', value: {} } },
      { applyTo: 'CLUSTER', match: { context: 'SIDECAR_OUTBOUND', cluster: { portNumber: 80, service: 's', subset: 'v1', name: 'c' } }, patch: { operation: 'REMOVE' } },
      { applyTo: 'CLUSTER', match: { context: 'WAYPOINT', waypoint: { portNumber: 80, route: { name: 'r' }, filter: { name: 'f', subFilter: { name: 's' } } } }, patch: { operation: 'REMOVE' } },
    ],
  },
  Telemetry: {
    selector: { matchLabels: { app: 'a' } },
    tracing: [{ match: { mode: 'SERVER' }, providers: [{ name: 'z' }], randomSamplingPercentage: 10, disableSpanReporting: false, customTags: { l: { literal: { value: 'v' } }, e: { environment: { name: 'E', defaultValue: 'd' } }, h: { header: { name: 'x-h', defaultValue: 'd' } } }, useRequestIdForTraceSampling: true, enableIstioTags: true, disableContextPropagation: false }],
    accessLogging: [{ match: { mode: 'CLIENT' }, providers: [{ name: 'envoy' }], disabled: false, filter: { expression: 'response.code >= 400' } }],
    metrics: [{ providers: [{ name: 'p' }], reportingInterval: '10s', overrides: [{ match: { metric: 'REQUEST_COUNT', mode: 'CLIENT' }, disabled: false, tagOverrides: { a: { operation: 'UPSERT', value: 'v' }, b: { operation: 'REMOVE' } } }, { match: { customMetric: 'c' } }] }],
  },
  WasmPlugin: {
    selector: { matchLabels: { app: 'a' } },
    url: 'https://wasm.example:8443/filters/a.wasm',
    sha256: 'a'.repeat(64),
    imagePullPolicy: 'Always',
    imagePullSecret: 'pull',
    pluginConfig: { limit: 10, nested: { list: [1, 'two', null] } },
    pluginName: 'root',
    phase: 'AUTHZ',
    priority: 10,
    failStrategy: 'FAIL_OPEN',
    vmConfig: { env: [{ name: 'POD_NAME', valueFrom: 'HOST' }, { name: 'MODE', value: 'strict', valueFrom: 'INLINE' }] },
    match: [{ mode: 'SERVER', ports: [{ number: 9080 }] }],
    type: 'HTTP',
  },
};

const WRONG: unknown[] = [42, -1, 1.5, 1e308, Infinity, NaN, '', 'x', true, null, undefined, [], [null], [42], {}, { unexpected: 1 }, { __proto__: { polluted: 1 } }];

/** Every path to a value in a JSON tree. */
function paths(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function replaced(root: unknown, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  cur[path[path.length - 1]] = value;
  return copy;
}

function mustNotCrash(input: unknown, what: string): void {
  let r;
  try {
    r = validateObject(input);
  } catch (e) {
    throw new Error(`validateObject threw on ${what}: ${(e as Error).stack}`);
  }
  expect(r.errors, what).to.be.an('array');
  expect(r.warnings, what).to.be.an('array');
  for (const e of r.errors) if (e.includes('internal validation error')) throw new Error(`${what}: ${e}`);
}

describe('validation robustness', () => {
  it('rejects garbage at the top level without throwing', async () => {
    for (const v of [...WRONG, { apiVersion: 42 }, { apiVersion: 'networking.istio.io/v1', kind: {} }, { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: 'x', spec: 7 }]) {
      mustNotCrash(v, JSON.stringify(v) ?? String(v));
      expect(validateObject(v).errors.length, String(v)).to.be.greaterThan(0);
    }
  });

  for (const [kind, spec] of Object.entries(RICH)) {
    it(`${kind}: the rich sample is valid`, async () => {
      expect(validateObject(wrap(kind, spec)).errors).to.deep.equal([]);
    });
    it(`${kind}: every field replaced by a value of every wrong type`, async () => {
      const obj = wrap(kind, spec);
      let runs = 0;
      for (const path of paths(obj)) {
        for (const value of WRONG) {
          mustNotCrash(replaced(obj, path, value), `${kind} ${path.join('.')} = ${String(value)}`);
          runs++;
        }
      }
      expect(runs).to.be.greaterThan(100);
    });
  }

  it('treats hostile map keys as plain keys', async () => {
    const vs = JSON.parse('{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"a","labels":{"__proto__":"x"}},"spec":{"hosts":["a"],"http":[{"match":[{"headers":{"__proto__":{"exact":"x"},"constructor":{"exact":"y"}}}],"route":[{"destination":{"host":"a"}}]}],"constructor":1}}');
    const r = validateObject(vs);
    expect(r.errors).to.include('spec.constructor: unknown field');
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });
});
