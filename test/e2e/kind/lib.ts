/**
 * Pure helpers of the kind end-to-end suite: reading pods and Bookinfo pages, judging a traffic
 * split, signing test tokens. No I/O here, so test/packaging can check them without a cluster.
 */
import { createSign, type KeyObject } from 'node:crypto';

export interface PodLike {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { containers?: Array<{ name: string }>; initContainers?: Array<{ name: string; restartPolicy?: string }> };
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
