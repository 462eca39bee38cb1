/** Small builders for analysis tests: plain Kubernetes objects, no YAML; and the runner of their tables. */
import { expect } from 'chai';
import { analyze, type Finding } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';

/** `CODE Kind ns/name path` — compact enough to read a whole table at a glance. */
export const brief = (f: Finding): string => `${f.code} ${f.resource.kind} ${f.resource.namespace}/${f.resource.name}${f.path ? ` ${f.path}` : ''}`;

/** One row of an analyzer table: these objects analyzed together give exactly these findings (brief form, any order). */
export interface Case {
  name: string;
  objects: KubeObject[];
  expect: string[];
}

/** `Level CODE Kind ns/name path`: brief with the level, for tables where the level is part of what is checked. */
export const leveled = (f: Finding): string => `${f.level} ${brief(f)}`;

/** A mocha describe per group of the table, an it per case; `form` writes each finding as the table does. */
export function describeTable(title: string, table: Record<string, Case[]>, form: (f: Finding) => string = brief): void {
  describe(title, () => {
    for (const [group, cases] of Object.entries(table)) {
      describe(group, () => {
        for (const c of cases) {
          it(c.name, async () => {
            const got = analyze(c.objects).map(form);
            expect(got).to.have.members(c.expect);
            expect(got).to.have.length(c.expect.length);
          });
        }
      });
    }
  });
}

const NET = 'networking.istio.io/v1';
const SEC = 'security.istio.io/v1';

function meta(name: string, namespace = 'default', labels?: Record<string, string>) {
  return labels ? { name, namespace, labels } : { name, namespace };
}

export const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

export const svc = (name: string, opts: { ns?: string; ports?: Array<number | { port: number; name?: string; appProtocol?: string; protocol?: string }>; selector?: Record<string, string> } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: meta(name, opts.ns),
  spec: {
    selector: opts.selector ?? { app: name },
    ports: (opts.ports ?? [9080]).map((p) => (typeof p === 'number' ? { port: p, name: 'http' } : p)),
  },
});

export const pod = (name: string, labels: Record<string, string>, namespace = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta(name, namespace, labels), spec: { containers: [] } });

export const deploy = (name: string, labels: Record<string, string>, namespace = 'default'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta(name, namespace),
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [] } } },
});

export const vs = (name: string, spec: Record<string, unknown>, namespace = 'default'): KubeObject => ({ apiVersion: NET, kind: 'VirtualService', metadata: meta(name, namespace), spec });

/** A VirtualService with one HTTP route to `host` (optionally subset and port). */
export const route = (name: string, host: string, opts: { subset?: string; port?: number; hosts?: string[]; gateways?: string[]; ns?: string } = {}): KubeObject =>
  vs(
    name,
    {
      hosts: opts.hosts ?? [host],
      ...(opts.gateways ? { gateways: opts.gateways } : {}),
      http: [{ route: [{ destination: { host, ...(opts.subset ? { subset: opts.subset } : {}), ...(opts.port ? { port: { number: opts.port } } : {}) } }] }],
    },
    opts.ns,
  );

export const dr = (name: string, host: string, subsets: Record<string, Record<string, string>>, namespace = 'default'): KubeObject => ({
  apiVersion: NET,
  kind: 'DestinationRule',
  metadata: meta(name, namespace),
  spec: { host, subsets: Object.entries(subsets).map(([n, labels]) => ({ name: n, labels })) },
});

export const gw = (name: string, selector: Record<string, string> = { istio: 'ingressgateway' }, namespace = 'default', hosts = ['*']): KubeObject => ({
  apiVersion: NET,
  kind: 'Gateway',
  metadata: meta(name, namespace),
  spec: { selector, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts }] },
});

/** An ingress gateway pod of istio-system, with no Service in the input: what a Gateway with the default selector picks. */
export const ingressPod = (): KubeObject => pod('ingress', { istio: 'ingressgateway' }, 'istio-system');

export const se = (name: string, hosts: string[], spec: Record<string, unknown> = {}, namespace = 'default'): KubeObject => ({
  apiVersion: NET,
  kind: 'ServiceEntry',
  metadata: meta(name, namespace),
  spec: { hosts, ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], resolution: 'DNS', ...spec },
});

export const we = (name: string, labels: Record<string, string>, namespace = 'default'): KubeObject => ({ apiVersion: NET, kind: 'WorkloadEntry', metadata: meta(name, namespace), spec: { address: '10.0.0.1', labels } });

export const sidecar = (name: string, labels: Record<string, string> | undefined, spec: Record<string, unknown> = {}, namespace = 'default'): KubeObject => ({
  apiVersion: NET,
  kind: 'Sidecar',
  metadata: meta(name, namespace),
  spec: { ...(labels ? { workloadSelector: { labels } } : {}), ...spec },
});

export const authz = (name: string, matchLabels: Record<string, string> | undefined, spec: Record<string, unknown> = {}, namespace = 'default'): KubeObject => ({
  apiVersion: SEC,
  kind: 'AuthorizationPolicy',
  metadata: meta(name, namespace),
  spec: { ...(matchLabels ? { selector: { matchLabels } } : {}), ...spec },
});

export const peer = (name: string, matchLabels: Record<string, string>, namespace = 'default'): KubeObject => ({
  apiVersion: SEC,
  kind: 'PeerAuthentication',
  metadata: meta(name, namespace),
  spec: { selector: { matchLabels }, mtls: { mode: 'STRICT' } },
});

/** The reviews service with v1/v2 workloads, a DR with subsets v1, v2: a consistent base most cases extend. */
export const reviewsBase = (): KubeObject[] => [
  svc('reviews'),
  deploy('reviews-v1', { app: 'reviews', version: 'v1' }),
  deploy('reviews-v2', { app: 'reviews', version: 'v2' }),
  dr('reviews', 'reviews', { v1: { version: 'v1' }, v2: { version: 'v2' } }),
];
