/**
 * `mizzen precheck`, like `istioctl x precheck`: can mizzen be installed on this cluster?
 *
 *   - the Kubernetes version (at least 1.28);
 *   - the permissions the install needs (one SelfSubjectAccessReview each: CRDs, cluster RBAC, webhook
 *     configurations, the namespace and what goes in it);
 *   - an Istio installation that would conflict: an istiod Deployment in istio-system, webhook configurations
 *     named istio-* or labelled with istio.io keys (two injectors would both mutate every pod), Istio's own CRDs
 *     (mizzen's CRDs carry app.kubernetes.io/part-of=mizzen; installing would take Istio's over).
 *
 * Prints a table; exit 1 when any check is an error, 0 otherwise (warnings included), 2 on bad flags.
 */
import { parseFlags, withUsage, UsageError } from './args.js';
import { Defaults } from '../core/constants.js';
import { createKubeClient, loadKubeConfig, type KubeClient } from '../sources/kube/client.js';

const HELP = `usage: mizzen precheck [--kubeconfig FILE] [--context NAME] [--namespace NS] [-o table|json]

Checks that mizzen can be installed: Kubernetes version (>= ${'1.28'}), the permissions of the install, and no
conflicting Istio installation. Exit 1 when a check fails.

  --kubeconfig FILE   kubeconfig to use (default: KUBECONFIG, ~/.kube/config, or in-cluster)
  --context NAME      a context other than the current one
  --namespace NS      the namespace mizzen will be installed into (default ${Defaults.controlPlaneNamespace})
  -o, --output FMT    table (default) or json
`;

export const MIN_VERSION = { major: 1, minor: 28 };

export type CheckStatus = 'ok' | 'warning' | 'error';

export interface CheckRow {
  check: string;
  status: CheckStatus;
  detail: string;
}

/** What the install creates, as SelfSubjectAccessReview resource attributes. */
export function installPermissions(namespace: string): Array<{ verb: string; group: string; resource: string; namespace?: string }> {
  const cluster = (group: string, resource: string) => ({ verb: 'create', group, resource });
  const inNs = (group: string, resource: string) => ({ verb: 'create', group, resource, namespace });
  return [
    cluster('apiextensions.k8s.io', 'customresourcedefinitions'),
    cluster('rbac.authorization.k8s.io', 'clusterroles'),
    cluster('rbac.authorization.k8s.io', 'clusterrolebindings'),
    cluster('admissionregistration.k8s.io', 'mutatingwebhookconfigurations'),
    cluster('admissionregistration.k8s.io', 'validatingwebhookconfigurations'),
    cluster('', 'namespaces'),
    inNs('', 'serviceaccounts'),
    inNs('', 'services'),
    inNs('', 'secrets'),
    inNs('apps', 'deployments'),
    inNs('policy', 'poddisruptionbudgets'),
    inNs('rbac.authorization.k8s.io', 'roles'),
    inNs('rbac.authorization.k8s.io', 'rolebindings'),
  ];
}

/** `1.30`, `30+` (GKE), `1.28.3-eks` → numbers. */
export function parseVersion(v: { major?: unknown; minor?: unknown; gitVersion?: unknown }): { major: number; minor: number } | undefined {
  const major = Number.parseInt(String(v.major ?? ''), 10);
  const minor = Number.parseInt(String(v.minor ?? ''), 10);
  if (Number.isFinite(major) && Number.isFinite(minor)) return { major, minor };
  const m = /^v?(\d+)\.(\d+)/.exec(String(v.gitVersion ?? ''));
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

const isIstioLabelled = (labels: Record<string, string> | undefined): boolean => Object.keys(labels ?? {}).some((k) => k.startsWith('istio.io/') || k.endsWith('.istio.io'));

async function versionCheck(client: KubeClient): Promise<CheckRow> {
  const r = await client.get('/version');
  if (r.status !== 200 || !r.body) return { check: 'Kubernetes API', status: 'error', detail: `cannot reach ${client.server}: ${r.message}` };
  const v = parseVersion(r.body);
  const text = String(r.body.gitVersion ?? `${r.body.major}.${r.body.minor}`);
  if (!v) return { check: 'Kubernetes version', status: 'warning', detail: `cannot read the version (${JSON.stringify(r.body).slice(0, 80)})` };
  const okVersion = v.major > MIN_VERSION.major || (v.major === MIN_VERSION.major && v.minor >= MIN_VERSION.minor);
  return okVersion
    ? { check: 'Kubernetes version', status: 'ok', detail: `${text} (>= ${MIN_VERSION.major}.${MIN_VERSION.minor})` }
    : { check: 'Kubernetes version', status: 'error', detail: `${text} is too old: mizzen needs ${MIN_VERSION.major}.${MIN_VERSION.minor} or newer` };
}

async function permissionChecks(client: KubeClient, namespace: string): Promise<CheckRow[]> {
  return Promise.all(
    installPermissions(namespace).map(async (p) => {
      const what = `${p.verb} ${p.resource}${p.group ? `.${p.group}` : ''}${p.namespace ? ` in ${p.namespace}` : ''}`;
      const r = await client.create('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: p },
      });
      const check = `permission: ${what}`;
      if (r.status < 200 || r.status >= 300) return { check, status: 'error' as const, detail: `cannot ask (SelfSubjectAccessReview): ${r.message}` };
      const s = r.body?.status ?? {};
      if (s.allowed === true) return { check, status: 'ok' as const, detail: 'allowed' };
      return { check, status: 'error' as const, detail: `denied${s.reason ? `: ${s.reason}` : ''}${s.evaluationError ? ` (${s.evaluationError})` : ''}` };
    }),
  );
}

async function istioChecks(client: KubeClient): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  const istiod = await client.get('/apis/apps/v1/namespaces/istio-system/deployments/istiod');
  if (istiod.status === 200) rows.push({ check: 'Istio control plane', status: 'error', detail: 'Deployment istio-system/istiod exists: uninstall Istio first (two control planes would both inject and configure proxies)' });
  else if (istiod.status === 404) rows.push({ check: 'Istio control plane', status: 'ok', detail: 'no istiod Deployment in istio-system' });
  else rows.push({ check: 'Istio control plane', status: 'warning', detail: `could not check istio-system/istiod: ${istiod.message}` });

  for (const kind of ['mutating', 'validating'] as const) {
    const r = await client.get(`/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations`);
    const check = `Istio ${kind} webhooks`;
    if (r.status !== 200 || !Array.isArray(r.body?.items)) {
      rows.push({ check, status: 'warning', detail: `could not list ${kind} webhook configurations: ${r.message}` });
      continue;
    }
    const istio = (r.body.items as Array<{ metadata?: { name?: string; labels?: Record<string, string> } }>)
      .filter((w) => (w.metadata?.name ?? '').startsWith('istio') || isIstioLabelled(w.metadata?.labels))
      .map((w) => w.metadata?.name ?? '?');
    rows.push(
      istio.length === 0
        ? { check, status: 'ok', detail: 'none' }
        : { check, status: 'error', detail: `${istio.join(', ')}: ${kind === 'mutating' ? 'a second injector would also mutate every pod' : "Istio's validator would also judge Istio resources"}` },
    );
  }

  const crds = await client.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
  if (crds.status !== 200 || !Array.isArray(crds.body?.items)) {
    rows.push({ check: 'Istio CRDs', status: 'warning', detail: `could not list CRDs: ${crds.message}` });
  } else {
    const items = crds.body.items as Array<{ metadata?: { name?: string; labels?: Record<string, string> }; spec?: { group?: string } }>;
    const istio = items.filter((c) => (c.spec?.group ?? '').endsWith('istio.io'));
    const foreign = istio.filter((c) => c.metadata?.labels?.['app.kubernetes.io/part-of'] !== 'mizzen').map((c) => c.metadata?.name ?? '?').sort();
    const ours = istio.length - foreign.length;
    if (foreign.length > 0) {
      const shown = foreign.slice(0, 4).join(', ') + (foreign.length > 4 ? `, … (${foreign.length} in all)` : '');
      rows.push({ check: 'Istio CRDs', status: 'error', detail: `installed by Istio, not mizzen: ${shown}; installing would take them over` });
    } else {
      rows.push({ check: 'Istio CRDs', status: 'ok', detail: ours > 0 ? `${ours} from a previous mizzen install` : 'none yet' });
    }
  }
  return rows;
}

/** Every check, in table order. Never throws: an unreachable cluster is a failed check. */
export async function runPrecheck(client: KubeClient, namespace: string = Defaults.controlPlaneNamespace): Promise<CheckRow[]> {
  const version = await versionCheck(client);
  if (version.check === 'Kubernetes API') return [version];
  return [version, ...(await permissionChecks(client, namespace)), ...(await istioChecks(client))];
}

export function formatTable(rows: readonly CheckRow[]): string {
  const head: CheckRow = { check: 'CHECK', status: 'STATUS' as CheckStatus, detail: 'DETAIL' };
  const w1 = Math.max(...[head, ...rows].map((r) => r.check.length));
  const w2 = Math.max(...[head, ...rows].map((r) => r.status.length));
  const line = (r: CheckRow): string => `${r.check.padEnd(w1)}  ${r.status.toUpperCase().padEnd(w2)}  ${r.detail}`;
  const errors = rows.filter((r) => r.status === 'error').length;
  const warnings = rows.filter((r) => r.status === 'warning').length;
  const summary = errors > 0 ? `✘ ${errors} problem(s) block the install${warnings ? `, ${warnings} warning(s)` : ''}` : `✔ mizzen can be installed${warnings ? ` (${warnings} warning(s))` : ''}`;
  return [line(head), ...rows.map(line), '', summary].join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  return withUsage(HELP, argv, async () => {
    const { values } = parseFlags(argv, {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string', default: Defaults.controlPlaneNamespace },
      output: { type: 'string', short: 'o', default: 'table' },
    });
    if (values.output !== 'table' && values.output !== 'json') throw new UsageError(`--output: "${values.output}" is not table or json`);
    let client: KubeClient;
    try {
      client = createKubeClient(await loadKubeConfig({ kubeconfig: values.kubeconfig, context: values.context, inCluster: !values.kubeconfig && !!process.env.KUBERNETES_SERVICE_HOST }), { timeoutMs: 10_000 });
    } catch (e) {
      process.stderr.write(`mizzen precheck: ${(e as Error).message}\n`);
      return 1;
    }
    const rows = await runPrecheck(client, values.namespace);
    process.stdout.write(values.output === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : formatTable(rows));
    return rows.some((r) => r.status === 'error') ? 1 : 0;
  });
}
