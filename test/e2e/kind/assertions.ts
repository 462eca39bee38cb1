/**
 * Assertions of the kind end-to-end suite, run by run.sh once mizzen and Bookinfo are installed
 * (compiled by `make build` to dist/test/e2e/kind/assertions.js). Needs kubectl pointing at the
 * cluster, GATEWAY_URL (a port-forward to the ingress gateway) and BOOKINFO_DIR.
 * Prints one PASS/FAIL line per check; exits 1 when any fails.
 */
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { kubectl, kubectlJson, httpGet, httpGetAs, eventually } from './kube.js';
import { type PodLike, injectedPodProblems, hasNoSidecar, reviewsVersion, splitWithin, count, INVALID_VIRTUAL_SERVICE, optOutPod, SKIP_REASON, signJwt, gatewayJwtPolicies, MESH_ACCESS_LOGS, GATEWAY_LUA_FILTER, LUA_HEADER, LUA_HEADER_VALUE, type ReviewsVersion, STRICT_MTLS, PLAIN_NAMESPACE, plainClientPod, plainClientResult, probedPod, HTTPS_HOST, HTTPS_GATEWAY, HTTPS_CLIENT_NAMESPACE, HTTPS_VIRTUAL_SERVICE, GATEWAY_HTTPS, CREDENTIAL, httpsGateway, credentialSecret, caSecret, httpsClientPod, httpsClientResult, type HttpsResult, type HttpsTarget, PROXY_CONFIG, PROXY, proxyConfigPod, proxyConfigProblems, GATEWAY_API_BOOKINFO, GATEWAY_API_HOST, GAMMA_REVIEWS_V3, conditionStatus, DEPLOYED_GATEWAY, DEPLOYED_GATEWAY_WORKLOAD, DEPLOYED_GATEWAY_OPTIONS, GATEWAY_API_DEPLOYED } from './lib.js';
import { generateCa, generateServingCert, signLeaf } from '../../../src/certs/generate.js';

const GATEWAY_URL = process.env.GATEWAY_URL ?? 'http://127.0.0.1:18080';
const BOOKINFO_DIR = process.env.BOOKINFO_DIR ?? '../shared/samples/bookinfo';
const SPLIT_REQUESTS = Number(process.env.SPLIT_REQUESTS ?? 300);
const SPLIT_TOLERANCE = Number(process.env.SPLIT_TOLERANCE ?? 0.06);
/** mizzen's image (run.sh loads it into kind): the suite's plain client runs node from it. */
const IMAGE = process.env.IMAGE ?? 'ghcr.io/mizzen-mesh/mizzen:0.1.0';

/** Runs a plain (sidecar-less) client pod once against `url` and returns what it got. */
async function plainCall(name: string, url: string): Promise<{ status: number } | { error: string }> {
  kubectl(['delete', 'pod', name, '-n', PLAIN_NAMESPACE, '--ignore-not-found', '--wait=true']);
  const created = kubectl(['apply', '-f', '-'], JSON.stringify(plainClientPod(name, IMAGE, url)));
  if (created.code !== 0) throw new Error(`plain client: ${created.stderr.trim()}`);
  return eventually(`the plain client ${name} finishes`, 90_000, async () => plainClientResult(kubectl(['logs', '-n', PLAIN_NAMESPACE, name]).stdout) ?? 'no result yet');
}

/** Runs the HTTPS client pod once against `target` (the gateway) and returns what it got. */
async function httpsCall(name: string, target: HttpsTarget): Promise<HttpsResult> {
  kubectl(['delete', 'pod', name, '-n', HTTPS_CLIENT_NAMESPACE, '--ignore-not-found', '--wait=true']);
  const created = kubectl(['apply', '-f', '-'], JSON.stringify(httpsClientPod(name, IMAGE, target)));
  if (created.code !== 0) throw new Error(`https client: ${created.stderr.trim()}`);
  return eventually(`the https client ${name} finishes`, 90_000, async () => httpsClientResult(kubectl(['logs', '-n', HTTPS_CLIENT_NAMESPACE, name]).stdout) ?? 'no result yet');
}

/** The productpage's reviews version from an HTTPS result, or (a string, which eventually retries on) what went wrong. */
function productpageOver(r: HttpsResult): { reviews: ReviewsVersion } | string {
  if ('error' in r) return `TLS/connection error ${r.error}`;
  const v = reviewsVersion(r.body);
  return r.status === 200 && v !== 'error' && v !== 'unknown' ? { reviews: v } : `HTTP ${r.status}, reviews ${v}`;
}

type Check = { name: string; run: () => Promise<string> };

/** kubectl apply -f FILE, or of `object` with FILE '-'. */
function applyFile(file: string, object?: unknown): void {
  const r = kubectl(['apply', '-f', file], object === undefined ? undefined : JSON.stringify(object));
  if (r.code !== 0) throw new Error(`kubectl apply -f ${file}: ${r.stderr.trim()}`);
}

async function productpageVersions(n: number): Promise<ReviewsVersion[]> {
  const out: ReviewsVersion[] = [];
  for (let i = 0; i < n; i++) {
    const r = await httpGet(`${GATEWAY_URL}/productpage`);
    out.push(r.status === 200 ? reviewsVersion(r.body) : 'error');
  }
  return out;
}

const checks: Check[] = [
  {
    name: 'every Bookinfo pod runs istio-init and istio-proxy',
    run: async () => {
      const pods = kubectlJson<{ items: PodLike[] }>(['get', 'pods', '-n', 'default', '-l', 'app in (details,ratings,reviews,productpage)']).items;
      if (pods.length < 6) throw new Error(`expected at least 6 Bookinfo pods, found ${pods.length}`);
      const problems = pods.flatMap(injectedPodProblems);
      if (problems.length) throw new Error(problems.join('; '));
      return `${pods.length} pods injected and Ready`;
    },
  },
  {
    name: 'a pod that opts out is left alone and says why',
    run: async () => {
      // Server-side dry run: the API server runs the admission chain and returns what it would store.
      const byLabel = kubectlJson<PodLike>(['create', '--dry-run=server', '-f', '-'], JSON.stringify(optOutPod('mizzen-e2e-optout-label', 'label')));
      if (!hasNoSidecar(byLabel)) throw new Error('the pod labelled sidecar.istio.io/inject=false got a sidecar');
      const labelReason = byLabel.metadata.annotations?.[SKIP_REASON];
      if (!labelReason) throw new Error(`the labelled pod has no ${SKIP_REASON} annotation`);
      const byAnnotation = kubectlJson<PodLike>(['create', '--dry-run=server', '-f', '-'], JSON.stringify(optOutPod('mizzen-e2e-optout-annotation', 'annotation')));
      if (!hasNoSidecar(byAnnotation)) throw new Error('the pod annotated sidecar.istio.io/inject=false got a sidecar');
      const reason = byAnnotation.metadata.annotations?.[SKIP_REASON];
      if (!reason) throw new Error(`the annotated pod has no ${SKIP_REASON} annotation`);
      return `label: ${SKIP_REASON}="${labelReason}"; annotation: ${SKIP_REASON}="${reason}"`;
    },
  },
  {
    name: "a ProxyConfig sets the sidecar's worker threads and environment of the pods it selects",
    run: async () => {
      const applied = kubectl(['apply', '-f', '-'], JSON.stringify(PROXY_CONFIG));
      if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stderr.trim()}`);
      try {
        // The webhook reads ProxyConfigs from its informer: the first pods may come before it has this one.
        await eventually('a pod created now gets --concurrency 3 and the environment variable', 60_000, async () => {
          const created = kubectlJson<PodLike>(['create', '--dry-run=server', '-f', '-'], JSON.stringify(proxyConfigPod()));
          const problems = proxyConfigProblems(created);
          return problems.length === 0 ? true : problems.join('; ');
        });
        return `a pod it selects runs ${PROXY} with --concurrency ${PROXY_CONFIG.spec.concurrency} and its environment variable`;
      } finally {
        kubectl(['delete', 'proxyconfig', '-n', 'default', PROXY_CONFIG.metadata.name, '--ignore-not-found']);
      }
    },
  },
  {
    name: 'an invalid VirtualService is rejected, naming the field',
    run: async () => {
      const r = kubectl(['apply', '-f', '-'], JSON.stringify(INVALID_VIRTUAL_SERVICE.object));
      if (r.code === 0) {
        kubectl(['delete', 'virtualservice', '-n', 'default', INVALID_VIRTUAL_SERVICE.object.metadata.name, '--ignore-not-found']);
        throw new Error('kubectl apply succeeded');
      }
      if (!r.stderr.includes(INVALID_VIRTUAL_SERVICE.field)) throw new Error(`the error does not name ${INVALID_VIRTUAL_SERVICE.field}: ${r.stderr.trim()}`);
      return r.stderr.trim().split('\n')[0]!;
    },
  },
  {
    name: "Bookinfo's gateway answers /productpage",
    run: async () => {
      applyFile(join(BOOKINFO_DIR, 'networking', 'bookinfo-gateway.yaml'));
      applyFile(join(BOOKINFO_DIR, 'networking', 'destination-rule-all.yaml'));
      return eventually('GET /productpage through the gateway returns 200 with reviews', 120_000, async () => {
        const r = await httpGet(`${GATEWAY_URL}/productpage`);
        if (r.status !== 200) return `HTTP ${r.status} ${r.body.slice(0, 120)}`;
        const v = reviewsVersion(r.body);
        return v === 'error' || v === 'unknown' ? `reviews: ${v}` : `HTTP 200, reviews ${v}`;
      });
    },
  },
  {
    name: 'a pod labelled sidecar.istio.io/inject=true is injected in a namespace without injection labels',
    run: async () => {
      const ns = 'mizzen-e2e-plain';
      kubectl(['create', 'namespace', ns]);
      try {
        const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'opt-in', namespace: ns, labels: { app: 'opt-in', 'sidecar.istio.io/inject': 'true' } }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }] } };
        const created = kubectlJson<PodLike>(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
        if (hasNoSidecar(created)) throw new Error('the pod got no sidecar: the object webhook did not see it');
        return 'injected through the object webhook';
      } finally {
        kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
      }
    },
  },
  {
    name: "an AuthorizationPolicy on the ingress gateway denies /productpage (Envoy's RBAC), and removing it restores it",
    run: async () => {
      const policy = {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'mizzen-e2e-deny-productpage', namespace: 'istio-system' },
        spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'DENY', rules: [{ to: [{ operation: { paths: ['/productpage'] } }] }] },
      };
      const applied = kubectl(['apply', '-f', '-'], JSON.stringify(policy));
      if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stderr.trim()}`);
      try {
        await eventually('the gateway refuses /productpage with 403', 90_000, async () => {
          const r = await httpGet(`${GATEWAY_URL}/productpage`);
          return r.status === 403 ? true : `status ${r.status}`;
        });
      } finally {
        kubectl(['delete', 'authorizationpolicy', policy.metadata.name, '-n', 'istio-system', '--ignore-not-found']);
      }
      await eventually('the gateway serves /productpage again', 90_000, async () => ((await httpGet(`${GATEWAY_URL}/productpage`)).status === 200 ? true : 'not yet'));
      return '403 with the policy, 200 without';
    },
  },
  {
    name: 'a RequestAuthentication on the ingress gateway: no token 403 (the policy needs one), a forged one 401, a good one 200',
    run: async () => {
      const issuer = 'https://mizzen-e2e.example.com';
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const { privateKey: forger } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'e2e', alg: 'RS256', use: 'sig' }] });
      const claims = { iss: issuer, sub: 'tester', exp: Math.floor(Date.now() / 1000) + 3600 };
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
      const policies = gatewayJwtPolicies(issuer, jwks);
      const applied = kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: policies }));
      if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stderr.trim()}`);
      try {
        await eventually('the gateway refuses /productpage without a token (403)', 90_000, async () => {
          const r = await httpGet(`${GATEWAY_URL}/productpage`);
          return r.status === 403 ? true : `status ${r.status}`;
        });
        const forged = await httpGet(`${GATEWAY_URL}/productpage`, 10_000, bearer(signJwt(claims, forger, 'e2e')));
        if (forged.status !== 401) throw new Error(`a token signed by another key: status ${forged.status}, want 401`);
        const good = await httpGet(`${GATEWAY_URL}/productpage`, 10_000, bearer(signJwt(claims, privateKey, 'e2e')));
        if (good.status !== 200) throw new Error(`a good token: status ${good.status}, want 200`);
      } finally {
        for (const p of policies) kubectl(['delete', String(p.kind).toLowerCase(), (p.metadata as { name: string }).name, '-n', 'istio-system', '--ignore-not-found']);
      }
      await eventually('the gateway serves /productpage again', 90_000, async () => ((await httpGet(`${GATEWAY_URL}/productpage`)).status === 200 ? true : 'not yet'));
      return '403 without a token, 401 with a forged one, 200 with a good one';
    },
  },
  {
    name: "a mesh-wide Telemetry naming Istio's built-in `envoy` provider turns on access logs at the gateway and in productpage's sidecar",
    run: async () => {
      const telemetry = MESH_ACCESS_LOGS;
      const applied = kubectl(['apply', '-f', '-'], JSON.stringify(telemetry));
      if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stderr.trim()}`);
      const marker = `e2e=${Date.now()}`;
      const logs = (target: string[]) => kubectl(['logs', ...target, '-c', 'istio-proxy', '--since=5m']).stdout;
      try {
        // The logs appear once the listeners with access_log have reached both proxies.
        await eventually('the request is logged by the gateway and by productpage', 90_000, async () => {
          await httpGet(`${GATEWAY_URL}/productpage?${marker}`);
          const gateway = kubectl(['logs', '-n', 'istio-system', 'deploy/istio-ingressgateway', '--since=5m']).stdout.includes(marker);
          const sidecar = logs(['-n', 'default', 'deploy/productpage-v1']).includes(marker);
          return gateway && sidecar ? true : `gateway ${gateway ? 'logged' : 'silent'}, productpage ${sidecar ? 'logged' : 'silent'}`;
        });
      } finally {
        kubectl(['delete', 'telemetry', telemetry.metadata.name, '-n', 'istio-system', '--ignore-not-found']);
      }
      return `a request with ${marker} appears in both proxies' logs`;
    },
  },
  {
    name: "an EnvoyFilter of Istio's Lua example shape puts a Lua filter into the gateway, which stamps its responses",
    run: async () => {
      const applied = kubectl(['apply', '-f', '-'], JSON.stringify(GATEWAY_LUA_FILTER));
      if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stderr.trim()}`);
      try {
        await eventually('the gateway adds the header', 90_000, async () => {
          const r = await httpGet(`${GATEWAY_URL}/productpage`);
          const got = r.headers.get(LUA_HEADER);
          return r.status === 200 && got === LUA_HEADER_VALUE ? true : `status ${r.status}, ${LUA_HEADER}: ${got ?? 'absent'}`;
        });
      } finally {
        kubectl(['delete', 'envoyfilter', GATEWAY_LUA_FILTER.metadata.name, '-n', 'istio-system', '--ignore-not-found']);
      }
      await eventually('the header goes away with the filter', 90_000, async () => ((await httpGet(`${GATEWAY_URL}/productpage`)).headers.get(LUA_HEADER) === null ? true : 'still stamped'));
      return `${LUA_HEADER}: ${LUA_HEADER_VALUE} while the filter exists, absent after it is deleted`;
    },
  },
  {
    name: 'mizzen issued every Bookinfo service account its istio.<sa> Secret, which the sidecars mount',
    run: async () => {
      const secrets = kubectlJson<{ items: Array<{ metadata: { name: string }; type: string }> }>(['get', 'secrets', '-n', 'default', '-l', 'mizzen.io/workload-cert=true']).items;
      const names = secrets.filter((s) => s.type === 'istio.io/key-and-cert').map((s) => s.metadata.name).sort();
      const want = ['istio.bookinfo-details', 'istio.bookinfo-productpage', 'istio.bookinfo-ratings', 'istio.bookinfo-reviews'];
      const missing = want.filter((n) => !names.includes(n));
      if (missing.length) throw new Error(`missing ${missing.join(', ')} (found ${names.join(', ') || 'none'})`);
      return names.join(', ');
    },
  },
  {
    name: "a Gateway's tls.credentialName: the gateway, authenticated on xDS over TLS, gets the Secret over SDS and serves HTTPS with it (SIMPLE, then MUTUAL)",
    run: async () => {
      const ca = await generateCa('mizzen e2e gateway CA', 1);
      const server = await generateServingCert(ca, [HTTPS_HOST], 1);
      const client = await signLeaf(ca, { subject: [{ name: 'commonName', value: 'mizzen-e2e-client' }], days: 1, usages: { clientAuth: true }, altNames: [{ type: 2, value: 'client.example.com' }] });
      // curl --resolve bookinfo.example.com:443:<gateway Service> --cacert ca.crt https://bookinfo.example.com/productpage
      const target: HttpsTarget = { ...GATEWAY_HTTPS, servername: HTTPS_HOST, path: '/productpage', ca: ca.cert };
      kubectl(['create', 'namespace', HTTPS_CLIENT_NAMESPACE]);
      try {
        applyFile('-', { apiVersion: 'v1', kind: 'List', items: [credentialSecret(server), HTTPS_VIRTUAL_SERVICE, httpsGateway('SIMPLE')] });
        // Without authentication (a gateway on plaintext xDS) the listener would get no certificate and every handshake fail.
        const simple = await eventually(`GET https://${HTTPS_HOST}/productpage through the gateway (SIMPLE)`, 150_000, async () => productpageOver(await httpsCall('https-simple', target)));
        applyFile('-', { apiVersion: 'v1', kind: 'List', items: [caSecret(ca.cert), httpsGateway('MUTUAL')] });
        const refused = await eventually('MUTUAL: a client without a certificate is refused', 90_000, async () => {
          const r = await httpsCall('https-no-cert', target);
          return 'error' in r ? r : `HTTP ${r.status}`;
        });
        const mutual = await eventually('MUTUAL: a client with a certificate of the CA gets the page', 90_000, async () => productpageOver(await httpsCall('https-client-cert', { ...target, client })));
        return `SIMPLE: 200 (reviews ${simple.reviews}); MUTUAL: without a client certificate ${refused.error}, with one 200 (reviews ${mutual.reviews})`;
      } finally {
        kubectl(['delete', 'gateway', HTTPS_GATEWAY, '-n', 'istio-system', '--ignore-not-found']);
        kubectl(['delete', 'virtualservice', HTTPS_VIRTUAL_SERVICE.metadata.name, '-n', HTTPS_VIRTUAL_SERVICE.metadata.namespace, '--ignore-not-found']);
        kubectl(['delete', 'secret', CREDENTIAL, `${CREDENTIAL}-cacert`, '-n', 'istio-system', '--ignore-not-found']);
        kubectl(['delete', 'namespace', HTTPS_CLIENT_NAMESPACE, '--ignore-not-found', '--wait=false']);
      }
    },
  },
  {
    name: 'PeerAuthentication STRICT: sidecars and the gateway still reach Bookinfo over mTLS, a client without a sidecar is refused, HTTP probes still pass',
    run: async () => {
      kubectl(['create', 'namespace', PLAIN_NAMESPACE]);
      try {
        const before = await plainCall('plain-before', 'http://productpage.default:9080/productpage');
        if (!('status' in before) || before.status !== 200) throw new Error(`before STRICT a plaintext client should get 200 (PERMISSIVE), got ${JSON.stringify(before)}`);
        applyFile('-', STRICT_MTLS);
        try {
          const refused = await eventually('the plaintext client is refused', 90_000, async () => {
            const r = await plainCall('plain-strict', 'http://productpage.default:9080/productpage');
            return 'error' in r ? r : `got ${JSON.stringify(r)}`;
          });
          // productpage calls details and reviews, reviews calls ratings: all sidecar to sidecar, now mTLS only.
          const page = await eventually('productpage still answers through the gateway', 60_000, async () => {
            const r = await httpGet(`${GATEWAY_URL}/productpage`);
            return r.status === 200 && reviewsVersion(r.body) !== 'error' ? reviewsVersion(r.body) : `status ${r.status}`;
          });
          // A pod with an HTTP readiness probe still becomes Ready: its probe goes through its sidecar.
          kubectl(['delete', 'pod', 'mizzen-e2e-probed', '-n', 'default', '--ignore-not-found', '--wait=true']);
          const created = kubectl(['apply', '-f', '-'], JSON.stringify(probedPod('mizzen-e2e-probed', IMAGE)));
          if (created.code !== 0) throw new Error(`probed pod: ${created.stderr.trim()}`);
          try {
            const ready = kubectl(['wait', '--for=condition=Ready', 'pod/mizzen-e2e-probed', '-n', 'default', '--timeout=120s']);
            if (ready.code !== 0) throw new Error(`a pod with an HTTP readiness probe is not Ready under STRICT: ${ready.stderr.trim()}`);
          } finally {
            kubectl(['delete', 'pod', 'mizzen-e2e-probed', '-n', 'default', '--ignore-not-found', '--wait=false']);
          }
          return `plaintext: ${refused.error}; through the gateway: 200 (reviews ${page}); a probed pod became Ready`;
        } finally {
          kubectl(['delete', 'peerauthentication', STRICT_MTLS.metadata.name, '-n', 'default', '--ignore-not-found']);
        }
      } finally {
        kubectl(['delete', 'namespace', PLAIN_NAMESPACE, '--ignore-not-found', '--wait=false']);
      }
    },
  },
  {
    name: 'virtual-service-reviews-90-10.yaml splits reviews 90/10 (v1/v2)',
    run: async () => {
      applyFile(join(BOOKINFO_DIR, 'networking', 'virtual-service-reviews-90-10.yaml'));
      // Wait until v3 (outside the split) stops appearing: the route has reached productpage's proxy.
      await eventually('the 90/10 route reaches the proxies', 90_000, async () => {
        const vs = await productpageVersions(20);
        return vs.includes('v3') || vs.includes('error') ? `seen ${JSON.stringify(count(vs))}` : true;
      });
      const counts = count(await productpageVersions(SPLIT_REQUESTS));
      const verdict = splitWithin(counts, { v1: 0.9, v2: 0.1 }, SPLIT_TOLERANCE);
      if (!verdict.ok) throw new Error(verdict.detail);
      return verdict.detail;
    },
  },
  {
    name: 'removing the reviews-v3 pod moves traffic to the rest',
    run: async () => {
      kubectl(['delete', 'virtualservice', 'reviews', '-n', 'default', '--ignore-not-found']);
      await eventually('with no VirtualService, reviews-v3 serves too', 90_000, async () => ((await productpageVersions(30)).includes('v3') ? true : 'no v3 yet'));
      const scaled = kubectl(['scale', 'deployment', 'reviews-v3', '-n', 'default', '--replicas=0']);
      if (scaled.code !== 0) throw new Error(scaled.stderr.trim());
      try {
        kubectl(['wait', '--for=delete', 'pod', '-n', 'default', '-l', 'app=reviews,version=v3', '--timeout=120s']);
        const seen = await eventually('traffic leaves the deleted pod', 60_000, async () => {
          const vs = await productpageVersions(40);
          return vs.some((v) => v === 'v3' || v === 'error' || v === 'unknown') ? `seen ${JSON.stringify(count(vs))}` : count(vs);
        });
        return `after the pod went away: ${JSON.stringify(seen)}`;
      } finally {
        kubectl(['scale', 'deployment', 'reviews-v3', '-n', 'default', '--replicas=1']);
      }
    },
  },
  {
    name: "Gateway API: Istio's Bookinfo Gateway and HTTPRoute on the installed ingress gateway: Programmed, and /productpage answers",
    run: async () => {
      for (const o of GATEWAY_API_BOOKINFO) applyFile('-', o);
      try {
        const waited = kubectl(['wait', '--for=condition=programmed', 'gateway.gateway.networking.k8s.io/bookinfo-gateway-api', '-n', 'default', '--timeout=120s']);
        if (waited.code !== 0) throw new Error(`kubectl wait --for=condition=programmed: ${waited.stderr.trim()}`);
        const page = await eventually(`GET /productpage as ${GATEWAY_API_HOST} returns 200 with reviews`, 120_000, async () => {
          const r = await httpGetAs(`${GATEWAY_URL}/productpage`, GATEWAY_API_HOST);
          const v = reviewsVersion(r.body);
          return r.status === 200 && v !== 'error' && v !== 'unknown' ? { reviews: v } : `HTTP ${r.status}, reviews ${v}`;
        });
        const route = kubectlJson<{ status?: { parents?: Array<{ conditions?: Array<{ type?: string; status?: string }> }> } }>(['get', 'httproute.gateway.networking.k8s.io', 'bookinfo-gateway-api', '-n', 'default']);
        const accepted = conditionStatus({ status: { conditions: route.status?.parents?.[0]?.conditions } }, 'Accepted');
        if (accepted !== 'True') throw new Error(`the HTTPRoute's parent status Accepted is ${accepted}`);
        return `Programmed; route Accepted; reviews ${page.reviews}`;
      } finally {
        for (const o of GATEWAY_API_BOOKINFO) kubectl(['delete', `${o.kind.toLowerCase()}.gateway.networking.k8s.io`, o.metadata.name, '-n', 'default', '--ignore-not-found']);
      }
    },
  },
  {
    name: "Gateway API, deployed by mizzen (--deploy-gateways): Istio's Bookinfo Gateway gets its own gateway Deployment and Service (and the PodDisruptionBudget its ConfigMap asks for), goes Programmed, and /productpage answers through it",
    run: async () => {
      applyFile('-', DEPLOYED_GATEWAY_OPTIONS);
      for (const o of GATEWAY_API_DEPLOYED) applyFile('-', o);
      let forward: ChildProcess | undefined;
      try {
        await eventually(`the Deployment ${DEPLOYED_GATEWAY_WORKLOAD} exists`, 60_000, async () => (kubectl(['get', 'deployment', DEPLOYED_GATEWAY_WORKLOAD, '-n', 'default']).code === 0 ? true : 'not yet'));
        const available = kubectl(['wait', '--for=condition=available', `deployment/${DEPLOYED_GATEWAY_WORKLOAD}`, '-n', 'default', '--timeout=180s']);
        if (available.code !== 0) throw new Error(`kubectl wait --for=condition=available: ${available.stderr.trim()}`);
        const owner = kubectlJson<{ metadata: { ownerReferences?: Array<{ kind?: string; name?: string }> } }>(['get', 'deployment', DEPLOYED_GATEWAY_WORKLOAD, '-n', 'default']).metadata.ownerReferences?.[0];
        if (owner?.kind !== 'Gateway' || owner.name !== DEPLOYED_GATEWAY) throw new Error(`the Deployment's owner is ${JSON.stringify(owner)}, not the Gateway`);
        const pdb = kubectlJson<{ spec?: { minAvailable?: unknown }; metadata: { ownerReferences?: Array<{ name?: string }> } }>(['get', 'poddisruptionbudget', DEPLOYED_GATEWAY_WORKLOAD, '-n', 'default']);
        if (pdb.spec?.minAvailable !== 1 || pdb.metadata.ownerReferences?.[0]?.name !== DEPLOYED_GATEWAY) throw new Error(`the PodDisruptionBudget is ${JSON.stringify(pdb)}, not the customization's, owned by the Gateway`);
        const waited = kubectl(['wait', '--for=condition=programmed', `gateway.gateway.networking.k8s.io/${DEPLOYED_GATEWAY}`, '-n', 'default', '--timeout=120s']);
        if (waited.code !== 0) throw new Error(`kubectl wait --for=condition=programmed: ${waited.stderr.trim()}`);
        const port = 18090;
        forward = spawn('kubectl', ['port-forward', '-n', 'default', `svc/${DEPLOYED_GATEWAY_WORKLOAD}`, `${port}:80`], { stdio: 'ignore' });
        const page = await eventually(`GET /productpage through ${DEPLOYED_GATEWAY_WORKLOAD} returns 200 with reviews`, 120_000, async () => {
          const r = await httpGet(`http://127.0.0.1:${port}/productpage`).catch((e: Error) => ({ status: 0, body: e.message }));
          const v = reviewsVersion(r.body);
          return r.status === 200 && v !== 'error' && v !== 'unknown' ? { reviews: v } : `HTTP ${r.status}, reviews ${v}`;
        });
        return `Deployment available and owned by the Gateway; Programmed; reviews ${page.reviews}`;
      } finally {
        forward?.kill();
        for (const o of GATEWAY_API_DEPLOYED) kubectl(['delete', `${o.kind.toLowerCase()}.gateway.networking.k8s.io`, o.metadata.name, '-n', 'default', '--ignore-not-found']);
        kubectl(['delete', 'configmap', DEPLOYED_GATEWAY_OPTIONS.metadata.name, '-n', 'default', '--ignore-not-found']);
      }
    },
  },
  {
    name: 'Gateway API: an HTTPRoute on the reviews Service (GAMMA) sends every request to reviews-v3',
    run: async () => {
      applyFile(join(BOOKINFO_DIR, 'platform', 'bookinfo-versions.yaml'));
      applyFile('-', GAMMA_REVIEWS_V3);
      try {
        const seen = await eventually('productpage shows reviews v3 only', 120_000, async () => {
          const vs = await productpageVersions(30);
          return vs.every((v) => v === 'v3') ? count(vs) : `seen ${JSON.stringify(count(vs))}`;
        });
        return `30 requests: ${JSON.stringify(seen)}`;
      } finally {
        kubectl(['delete', 'httproute.gateway.networking.k8s.io', GAMMA_REVIEWS_V3.metadata.name, '-n', 'default', '--ignore-not-found']);
      }
    },
  },
];

async function main(): Promise<number> {
  let failed = 0;
  for (const c of checks) {
    try {
      const detail = await c.run();
      console.log(`PASS  ${c.name}: ${detail}`);
    } catch (e) {
      failed++;
      console.log(`FAIL  ${c.name}: ${(e as Error).message}`);
    }
  }
  console.log(`\n${checks.length - failed}/${checks.length} checks passed`);
  return failed ? 1 : 0;
}

main().then((code) => (process.exitCode = code));
