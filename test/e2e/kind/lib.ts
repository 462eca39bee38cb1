/**
 * Pure helpers of the kind end-to-end suite: reading pods and Bookinfo pages, judging a traffic
 * split, signing test tokens. No I/O here, so test/packaging can check them without a cluster.
 */
import { createSign, type KeyObject } from 'node:crypto';

export interface PodLike {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { containers?: Array<{ name: string; args?: string[]; env?: Array<{ name: string; value?: string }> }>; initContainers?: Array<{ name: string; restartPolicy?: string }> };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

export const INIT = 'istio-init';
export const PROXY = 'istio-proxy';
export const SKIP_REASON = 'sidecar.mizzen.io/skip-reason';

/** What is wrong with an injected pod (empty when it has istio-init and istio-proxy and is Ready). */
export function injectedPodProblems(pod: PodLike): string[] {
  const name = pod.metadata.name;
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const problems: string[] = [];
  if (!inits.includes(INIT)) problems.push(`${name}: no ${INIT} init container`);
  // Native sidecar mode puts istio-proxy among the init containers with restartPolicy Always.
  const nativeProxy = (pod.spec?.initContainers ?? []).some((c) => c.name === PROXY && c.restartPolicy === 'Always');
  if (!containers.includes(PROXY) && !nativeProxy) problems.push(`${name}: no ${PROXY} container`);
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  if (!ready) problems.push(`${name}: not Ready (phase ${pod.status?.phase ?? 'unknown'})`);
  return problems;
}

/** Whether a pod was left without a sidecar. */
export function hasNoSidecar(pod: PodLike): boolean {
  const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
  return !names.includes(INIT) && !names.includes(PROXY);
}

export type ReviewsVersion = 'v1' | 'v2' | 'v3' | 'error' | 'unknown';

/**
 * Which reviews version rendered a Bookinfo /productpage: the "Reviews served by" pod name when
 * the page shows it, else the stars (v1 none, v2 black, v3 red).
 */
export function reviewsVersion(html: string): ReviewsVersion {
  if (/Error fetching product reviews|Sorry, product reviews are currently unavailable/i.test(html)) return 'error';
  const pod = /reviews-(v[123])-[a-z0-9]+-[a-z0-9]+/.exec(html);
  if (pod) return pod[1] as ReviewsVersion;
  if (/<font color="red">/.test(html)) return 'v3';
  if (/<font color="black">/.test(html)) return 'v2';
  if (/Book Reviews/i.test(html) || /Reviewer1/.test(html)) return 'v1';
  return 'unknown';
}

export interface SplitVerdict {
  ok: boolean;
  detail: string;
}

/** Whether observed counts match the wanted fractions within an absolute tolerance, naming the share that does not. */
export function splitWithin(counts: Partial<Record<string, number>>, want: Record<string, number>, tolerance: number): SplitVerdict {
  const total = Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);
  if (total === 0) return { ok: false, detail: 'no responses' };
  const parts: string[] = [];
  let ok = true;
  const keys = [...new Set([...Object.keys(want), ...Object.keys(counts)])].sort();
  for (const k of keys) {
    const got = (counts[k] ?? 0) / total;
    const w = want[k] ?? 0;
    const good = Math.abs(got - w) <= tolerance;
    ok &&= good;
    parts.push(`${k} ${(got * 100).toFixed(1)}% (want ${(w * 100).toFixed(0)}±${(tolerance * 100).toFixed(0)}%)${good ? '' : ' <-- out of tolerance'}`);
  }
  return { ok, detail: `${total} requests: ${parts.join(', ')}` };
}

export const count = <T extends string>(items: T[]): Partial<Record<T, number>> =>
  items.reduce<Partial<Record<T, number>>>((acc, x) => ((acc[x] = (acc[x] ?? 0) + 1), acc), {});

/** A VirtualService the validating webhook must refuse, and the field its error must name. */
export const INVALID_VIRTUAL_SERVICE = {
  object: {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'mizzen-e2e-invalid', namespace: 'default' },
    spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: -10 }] }] },
  },
  field: 'spec.http[0].route[0].weight',
};

/** Pods that opt out of injection, by label and by annotation: both reach the webhook (no objectSelector), which says why. */
export function optOutPod(name: string, by: 'label' | 'annotation'): Record<string, unknown> {
  const optOut = { 'sidecar.istio.io/inject': 'false' };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name, ...(by === 'label' ? optOut : {}) }, ...(by === 'annotation' ? { annotations: optOut } : {}) },
    spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }] },
  };
}

/** A ProxyConfig for the pods labelled app=mizzen-e2e-proxyconfig in default: 3 Envoy worker threads and one environment variable. */
export const PROXY_CONFIG = {
  apiVersion: 'networking.istio.io/v1beta1',
  kind: 'ProxyConfig',
  metadata: { name: 'mizzen-e2e-proxyconfig', namespace: 'default' },
  spec: { selector: { matchLabels: { app: 'mizzen-e2e-proxyconfig' } }, concurrency: 3, environmentVariables: { MIZZEN_E2E: 'proxyconfig' } },
};

/** A pod PROXY_CONFIG selects. */
export const proxyConfigPod = (): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'mizzen-e2e-proxyconfig', namespace: 'default', labels: { app: 'mizzen-e2e-proxyconfig' } },
  spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }] },
});

/** What is missing of PROXY_CONFIG in a pod's sidecar (empty when its --concurrency and environment are there). */
export function proxyConfigProblems(pod: PodLike): string[] {
  const proxy = pod.spec?.containers?.find((c) => c.name === PROXY);
  if (!proxy) return [`${pod.metadata.name}: no ${PROXY} container`];
  const args = proxy.args ?? [];
  const i = args.indexOf('--concurrency');
  const problems: string[] = [];
  const want = String(PROXY_CONFIG.spec.concurrency);
  if (i < 0 || args[i + 1] !== want) problems.push(`--concurrency is ${i < 0 ? 'absent' : args[i + 1]}, not ${want}`);
  for (const [name, value] of Object.entries(PROXY_CONFIG.spec.environmentVariables)) {
    if (!(proxy.env ?? []).some((e) => e.name === name && e.value === value)) problems.push(`no ${name}=${value} in ${PROXY}'s environment`);
  }
  return problems;
}

const b64url = (v: string | Buffer): string => Buffer.from(v).toString('base64url');

/** A JWT signed RS256 with `key`, whose header names `kid` (what Envoy's jwt_authn checks against a JWKS). */
export function signJwt(claims: Record<string, unknown>, key: KeyObject, kid: string): string {
  const input = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(key).toString('base64url')}`;
}

/**
 * A RequestAuthentication on the ingress gateway trusting `jwks` for `issuer`, and an AuthorizationPolicy there
 * that admits only requests carrying a token of that issuer.
 */
export function gatewayJwtPolicies(issuer: string, jwks: string): Array<Record<string, unknown>> {
  const selector = { matchLabels: { istio: 'ingressgateway' } };
  const metadata = (name: string) => ({ name, namespace: 'istio-system' });
  return [
    { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: metadata('mizzen-e2e-jwt'), spec: { selector, jwtRules: [{ issuer, jwks }] } },
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: metadata('mizzen-e2e-require-jwt'),
      spec: { selector, rules: [{ from: [{ source: { requestPrincipals: [`${issuer}/*`] } }] }] },
    },
  ];
}

/** A mesh-wide Telemetry (in istio-system, no selector) that turns on access logs with Istio's built-in `envoy` provider. */
export const MESH_ACCESS_LOGS = {
  apiVersion: 'telemetry.istio.io/v1',
  kind: 'Telemetry',
  metadata: { name: 'mizzen-e2e-access-logs', namespace: 'istio-system' },
  spec: { accessLogging: [{ providers: [{ name: 'envoy' }] }] },
} as const;

/** The response header the suite's gateway EnvoyFilter adds, and its value. */
export const LUA_HEADER = 'x-mizzen-envoyfilter';
export const LUA_HEADER_VALUE = 'lua';

/** An EnvoyFilter of Istio's Lua example shape: on the ingress gateway, a Lua filter before the router that stamps every response. */
export const GATEWAY_LUA_FILTER = {
  apiVersion: 'networking.istio.io/v1alpha3',
  kind: 'EnvoyFilter',
  metadata: { name: 'mizzen-e2e-lua', namespace: 'istio-system' },
  spec: {
    workloadSelector: { labels: { istio: 'ingressgateway' } },
    configPatches: [
      {
        applyTo: 'HTTP_FILTER',
        match: { context: 'GATEWAY', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } },
        patch: {
          operation: 'INSERT_BEFORE',
          value: {
            name: 'envoy.filters.http.lua',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
              defaultSourceCode: { inlineString: `function envoy_on_response(handle) handle:headers():add("${LUA_HEADER}", "${LUA_HEADER_VALUE}") end` },
            },
          },
        },
      },
    ],
  },
} as const;

/** PeerAuthentication STRICT for every workload of Bookinfo's namespace. */
export const STRICT_MTLS = {
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name: 'mizzen-e2e-strict', namespace: 'default' },
  spec: { mtls: { mode: 'STRICT' } },
} as const;

/** A namespace without injection, for a client that has no sidecar (and so no mesh certificate). */
export const PLAIN_NAMESPACE = 'mizzen-e2e-plain';

/**
 * A pod without a sidecar that calls `url` once with mizzen's own image (it has node) and prints the HTTP status,
 * or `ERR <code>` when the connection fails (a STRICT server resets a plaintext one).
 */
export function plainClientPod(name: string, image: string, url: string): Record<string, unknown> {
  const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(10000) }).then((r) => console.log(r.status), (e) => console.log('ERR', e.cause?.code ?? e.name))`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: PLAIN_NAMESPACE, labels: { 'sidecar.istio.io/inject': 'false' } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'client', image, imagePullPolicy: 'IfNotPresent', command: ['node', '-e', script] }] },
  };
}

/** What a plain client's log says: the status it got, or the failure. */
export function plainClientResult(log: string): { status: number } | { error: string } | undefined {
  const line = log.trim().split('\n').at(-1) ?? '';
  if (/^\d{3}$/.test(line)) return { status: Number(line) };
  if (line.startsWith('ERR')) return { error: line.slice(3).trim() };
  return undefined;
}

/**
 * A meshed pod with an HTTP readiness probe (mizzen's image runs a small node server): under STRICT mTLS it becomes
 * Ready only if its probe was rewritten to the sidecar, which forwards it.
 */
export function probedPod(name: string, image: string): Record<string, unknown> {
  const server = "require('node:http').createServer((q, s) => s.end(q.url === '/ready' ? 'ok' : 'no')).listen(8080)";
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      containers: [
        {
          name: 'web',
          image,
          imagePullPolicy: 'IfNotPresent',
          command: ['node', '-e', server],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 2 },
        },
      ],
    },
  };
}

/**
 * Gateway TLS by `credentialName`: a Gateway in istio-system terminating HTTPS on 443 for HTTPS_HOST with the Secret
 * CREDENTIAL (SIMPLE), or also asking clients for a certificate signed by the CA of the Secret `<CREDENTIAL>-cacert`
 * (MUTUAL), and a VirtualService sending that host to productpage. mizzen serves the Secrets over SDS only to a
 * gateway that authenticated on xDS over TLS (manifests/mtls/).
 */
export const HTTPS_HOST = 'bookinfo.example.com';
export const CREDENTIAL = 'mizzen-e2e-bookinfo-tls';
export const HTTPS_GATEWAY = 'mizzen-e2e-https';
/** Where the suite's HTTPS client runs: a namespace without injection (the client needs no sidecar). */
export const HTTPS_CLIENT_NAMESPACE = 'mizzen-e2e-https';
/** The gateway Service's port for HTTPS (its targetPort is 8443, where the gateway listens, as Istio's does). */
export const GATEWAY_HTTPS = { host: 'istio-ingressgateway.istio-system.svc', port: 443 } as const;

export function httpsGateway(mode: 'SIMPLE' | 'MUTUAL'): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: HTTPS_GATEWAY, namespace: 'istio-system' },
    spec: {
      selector: { istio: 'ingressgateway' },
      servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: [HTTPS_HOST], tls: { mode, credentialName: CREDENTIAL } }],
    },
  };
}

export const HTTPS_VIRTUAL_SERVICE = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'mizzen-e2e-https-productpage', namespace: 'default' },
  spec: {
    hosts: [HTTPS_HOST],
    gateways: [`istio-system/${HTTPS_GATEWAY}`],
    http: [{ route: [{ destination: { host: 'productpage.default.svc.cluster.local', port: { number: 9080 } } }] }],
  },
} as const;

const b64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');

/** The gateway's server certificate and key, as a kubernetes.io/tls Secret named CREDENTIAL in istio-system. */
export function credentialSecret(pair: { cert: string; key: string }): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: CREDENTIAL, namespace: 'istio-system' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64(pair.cert), 'tls.key': b64(pair.key) } };
}

/** The CA that MUTUAL checks client certificates against: the Secret `<CREDENTIAL>-cacert` (Istio's name for it). */
export function caSecret(caPem: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${CREDENTIAL}-cacert`, namespace: 'istio-system' }, type: 'Opaque', data: { 'ca.crt': b64(caPem) } };
}

export interface HttpsTarget {
  /** Address and port to connect to (curl's --resolve): the gateway Service. */
  host: string;
  port: number;
  /** SNI, Host header and the name the server certificate must carry. */
  servername: string;
  path: string;
  /** PEM: the CA that signed the server certificate (curl's --cacert). */
  ca: string;
  /** PEM: a client certificate and key to present (curl's --cert/--key). */
  client?: { cert: string; key: string };
}

/**
 * A node script that GETs `target` over HTTPS once and prints one JSON line: `{"status":…,"body":…}` or `{"error":…}`.
 * Its settings come from the environment (E2E_*), so the same script runs in a pod and in test/packaging against a
 * local server.
 */
export const HTTPS_CLIENT_SCRIPT = `const e = process.env;
const req = require('node:https').request({ host: e.E2E_HOST, port: Number(e.E2E_PORT), path: e.E2E_PATH, servername: e.E2E_SNI, headers: { host: e.E2E_SNI }, ca: e.E2E_CA, cert: e.E2E_CERT || undefined, key: e.E2E_KEY || undefined, timeout: 10000 }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (c) => (body += c));
  res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body })));
});
req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
req.on('error', (err) => console.log(JSON.stringify({ error: err.code || err.message })));
req.end();`;

/** The environment HTTPS_CLIENT_SCRIPT reads. */
export function httpsClientEnv(target: HttpsTarget): Record<string, string> {
  return {
    E2E_HOST: target.host,
    E2E_PORT: String(target.port),
    E2E_PATH: target.path,
    E2E_SNI: target.servername,
    E2E_CA: target.ca,
    ...(target.client ? { E2E_CERT: target.client.cert, E2E_KEY: target.client.key } : {}),
  };
}

/** A pod without a sidecar, in HTTPS_CLIENT_NAMESPACE, that runs HTTPS_CLIENT_SCRIPT once with mizzen's image (it has node). */
export function httpsClientPod(name: string, image: string, target: HttpsTarget): Record<string, unknown> {
  const env = Object.entries(httpsClientEnv(target)).map(([n, value]) => ({ name: n, value }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: HTTPS_CLIENT_NAMESPACE, labels: { 'sidecar.istio.io/inject': 'false' } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'client', image, imagePullPolicy: 'IfNotPresent', command: ['node', '-e', HTTPS_CLIENT_SCRIPT], env }] },
  };
}

export type HttpsResult = { status: number; body: string } | { error: string };

/** What the HTTPS client printed (its last line), or undefined before it has. */
export function httpsClientResult(log: string): HttpsResult | undefined {
  const line = log.trim().split('\n').at(-1) ?? '';
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (typeof v.status === 'number' && typeof v.body === 'string') return { status: v.status, body: v.body };
    if (typeof v.error === 'string') return { error: v.error };
  } catch {
    // not (yet) its output
  }
  return undefined;
}

/** The host the suite's Gateway API listener answers for (Istio's own Bookinfo Gateway keeps `*` on port 80). */
export const GATEWAY_API_HOST = 'bookinfo.gateway-api.test';

/**
 * Istio's samples/bookinfo/gateway-api/bookinfo-gateway.yaml, served by the installed ingress gateway (named in
 * spec.addresses, so that the deployed gateway of --deploy-gateways plays no part) on its own hostname.
 */
export const GATEWAY_API_BOOKINFO = [
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'bookinfo-gateway-api', namespace: 'default' },
    spec: {
      gatewayClassName: 'istio',
      addresses: [{ type: 'Hostname', value: 'istio-ingressgateway.istio-system.svc.cluster.local' }],
      listeners: [{ name: 'http', port: 80, protocol: 'HTTP', hostname: GATEWAY_API_HOST, allowedRoutes: { namespaces: { from: 'Same' } } }],
    },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'bookinfo-gateway-api', namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'bookinfo-gateway-api' }],
      rules: [{ matches: [{ path: { type: 'Exact', value: '/productpage' } }, { path: { type: 'PathPrefix', value: '/static' } }], backendRefs: [{ name: 'productpage', port: 9080 }] }],
    },
  },
];

/**
 * Istio's Bookinfo Gateway API sample as Istio's docs run it on a cluster without load balancers: no addresses, so
 * mizzen deploys its gateway (`serve --deploy-gateways`: run.sh turns it on), with a ClusterIP Service.
 */
export const DEPLOYED_GATEWAY = 'bookinfo-gateway-deployed';
/** The Deployment and Service mizzen makes for it (`<gateway>-<class>`). */
export const DEPLOYED_GATEWAY_WORKLOAD = `${DEPLOYED_GATEWAY}-istio`;
/** Its customization (spec.infrastructure.parametersRef): a PodDisruptionBudget, which the real API server validates. */
export const DEPLOYED_GATEWAY_OPTIONS = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: `${DEPLOYED_GATEWAY}-options`, namespace: 'default' },
  data: { podDisruptionBudget: 'spec:\n  minAvailable: 1\n' },
};
export const GATEWAY_API_DEPLOYED = [
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: DEPLOYED_GATEWAY, namespace: 'default', annotations: { 'networking.istio.io/service-type': 'ClusterIP' } },
    spec: {
      gatewayClassName: 'istio',
      infrastructure: { parametersRef: { group: '', kind: 'ConfigMap', name: DEPLOYED_GATEWAY_OPTIONS.metadata.name } },
      listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }],
    },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: DEPLOYED_GATEWAY, namespace: 'default' },
    spec: {
      parentRefs: [{ name: DEPLOYED_GATEWAY }],
      rules: [{ matches: [{ path: { type: 'Exact', value: '/productpage' } }, { path: { type: 'PathPrefix', value: '/static' } }], backendRefs: [{ name: 'productpage', port: 9080 }] }],
    },
  },
];

/** A route on the reviews Service (GAMMA): every request to reviews goes to the reviews-v3 Service (bookinfo-versions.yaml). */
export const GAMMA_REVIEWS_V3 = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'reviews-v3-only', namespace: 'default' },
  spec: { parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }], rules: [{ backendRefs: [{ name: 'reviews-v3', port: 9080 }] }] },
};

/** A status condition's status (True/False/Unknown), or 'absent'. */
export function conditionStatus(obj: { status?: { conditions?: Array<{ type?: string; status?: string }> } }, type: string): string {
  return obj.status?.conditions?.find((c) => c.type === type)?.status ?? 'absent';
}
