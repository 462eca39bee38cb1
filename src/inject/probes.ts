/**
 * Probe rewriting (Istio's rewriteAppHTTPProbers). Under PeerAuthentication STRICT a sidecar refuses plaintext, and
 * the kubelet's HTTP probes are plaintext: they would fail. So, as Istio's injector does, an application container's
 * httpGet probes are rewritten to ask the sidecar instead, on port 15020 (never captured) at
 * `/app-health/<container>/livez|readyz|startupz`, and the sidecar's bootstrap routes each of those paths to the
 * original port and path on the pod's own IP (Istio's agent does this; mizzen's Envoy does it with a static
 * listener, bootstrap/envoy.ts appProbes). The rest of the probe (timings, thresholds, headers) is kept.
 *
 * Done for pods that get mesh certificates (mesh config workloadCertificateSecrets), since those are the pods that
 * may run STRICT; `sidecar.istio.io/rewriteAppHTTPProbers: "false"` keeps a pod's probes, `"true"` asks for it
 * without certificates. A probe with a `host` goes elsewhere and is kept; tcpSocket probes are kept (the sidecar
 * accepts the connection, so they pass); gRPC probes are kept (the sidecar cannot answer them: under STRICT they
 * fail, and the pod is warned). The application's own Prometheus scrape goes the same way (rewriteScrape). Pure.
 */
import { Annotations, ContainerNames, Ports } from '../core/constants.js';
import { isObject } from '../core/object.js';
import { APP_HEALTH_PORT, type AppProbeRoute } from '../bootstrap/envoy.js';

export const REWRITE_ANNOTATION = 'sidecar.istio.io/rewriteAppHTTPProbers';

const KINDS = [
  ['livenessProbe', 'livez'],
  ['readinessProbe', 'readyz'],
  ['startupProbe', 'startupz'],
] as const;
export type ProbeField = (typeof KINDS)[number][0];

/** One probe of one application container, rewritten: `probe` replaces the field. */
export interface ProbeRewrite {
  index: number;
  field: ProbeField;
  probe: Record<string, unknown>;
}

export interface ProbeRewrites {
  rewrites: ProbeRewrite[];
  routes: AppProbeRoute[];
  warnings: string[];
}

/**
 * Whether a pod's probes are rewritten: as its annotation says, else when it gets mesh certificates; a value other
 * than "true" or "false" counts as unset, with a warning.
 */
export function rewritesProbes(annotations: Readonly<Record<string, unknown>> | undefined, certificates: boolean): { on: boolean; warning?: string } {
  const v = annotations?.[REWRITE_ANNOTATION];
  if (v === undefined || v === 'true' || v === 'false') return (v === undefined ? certificates : v === 'true') ? ON : OFF;
  return { on: certificates, warning: `metadata.annotations["${REWRITE_ANNOTATION}"]: ${JSON.stringify(v)} must be "true" or "false": ignored` };
}
// The answers without a warning, shared (injection runs per pod review).
const ON = { on: true } as const;
const OFF = { on: false } as const;

/** A probe's httpGet port as a number: a number, or the name of one of the container's ports; undefined otherwise. */
function probePort(port: unknown, container: Record<string, unknown>): number | undefined {
  if (typeof port === 'number') return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
  if (typeof port !== 'string' || port === '') return undefined;
  const ports = Array.isArray(container.ports) ? container.ports : [];
  const named = ports.find((p) => isObject(p) && p.name === port);
  return isObject(named) && typeof named.containerPort === 'number' ? named.containerPort : undefined;
}

/** The rewrites of a pod's application containers (`containers`: spec.containers). */
export function rewriteProbes(containers: readonly unknown[]): ProbeRewrites {
  const out: ProbeRewrites = { rewrites: [], routes: [], warnings: [] };
  containers.forEach((c, index) => {
    if (!isObject(c) || typeof c.name !== 'string' || c.name === ContainerNames.proxy) return;
    for (const [field, kind] of KINDS) {
      const probe = c[field];
      if (!isObject(probe)) continue;
      const at = `spec.containers[${index}].${field}`;
      if (isObject(probe.grpc)) {
        out.warnings.push(`${at}.grpc: the sidecar cannot answer a gRPC probe for the application: under PeerAuthentication STRICT it fails (use an httpGet or tcpSocket probe)`);
        continue;
      }
      const get = probe.httpGet;
      if (!isObject(get) || (typeof get.host === 'string' && get.host !== '')) continue;
      const port = probePort(get.port, c);
      if (port === undefined) {
        out.warnings.push(`${at}.httpGet.port: ${JSON.stringify(get.port)} is not a port of the container: this probe is not rewritten, and under PeerAuthentication STRICT it fails`);
        continue;
      }
      const path = `/app-health/${c.name}/${kind}`;
      const target = typeof get.path === 'string' && get.path !== '' ? (get.path.startsWith('/') ? get.path : `/${get.path}`) : '/';
      out.routes.push({ path, port, https: get.scheme === 'HTTPS', target });
      const httpGet = { path, port: APP_HEALTH_PORT, scheme: 'HTTP', ...(Array.isArray(get.httpHeaders) ? { httpHeaders: get.httpHeaders } : {}) };
      out.rewrites.push({ index, field, probe: { ...probe, httpGet } });
    }
  });
  return out;
}

export const MERGE_METRICS_ANNOTATION = 'prometheus.istio.io/merge-metrics';
const PROMETHEUS_SCHEME = 'prometheus.io/scheme';
/** Where the sidecar serves the application's own metrics, on the app-health port. */
export const APP_METRICS_PATH = '/app-metrics';

/**
 * The application's own Prometheus scrape (prometheus.io/scrape "true" with a port of its own), taken through the
 * sidecar like its probes, since under STRICT a Prometheus without a sidecar is refused on the application's port:
 * the annotations point at 15020 /app-metrics, which the sidecar routes to the original port and path (scheme
 * kept to the application). Istio's agent merges these with Envoy's metrics; mizzen's Envoy cannot, and Envoy's
 * own stay on 15090 (port http-envoy-prom). `prometheus.istio.io/merge-metrics: "false"` keeps the pod's scrape,
 * "true" takes it; without the annotation, `merge` (the mesh config's enablePrometheusMerge, as in Istio) decides.
 * Undefined when there is nothing to take.
 */
export function rewriteScrape(annotations: Readonly<Record<string, unknown>> | undefined, merge = true): { route: AppProbeRoute; annotations: Record<string, string> } | undefined {
  const a = annotations ?? {};
  const asked = a[MERGE_METRICS_ANNOTATION];
  if (!(asked === 'true' || (asked !== 'false' && merge)) || a[Annotations.prometheusScrape] !== 'true') return undefined;
  const port = Number(a[Annotations.prometheusPort]);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || port === Ports.proxyStats || port === APP_HEALTH_PORT) return undefined;
  const path = a[Annotations.prometheusPath];
  const target = typeof path === 'string' && path !== '' ? (path.startsWith('/') ? path : `/${path}`) : '/metrics';
  const https = a[PROMETHEUS_SCHEME] === 'https';
  return {
    route: { path: APP_METRICS_PATH, port, https, target },
    annotations: { [Annotations.prometheusPort]: String(APP_HEALTH_PORT), [Annotations.prometheusPath]: APP_METRICS_PATH, ...(https ? { [PROMETHEUS_SCHEME]: 'http' } : {}) },
  };
}
