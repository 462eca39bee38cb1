/**
 * `mizzen serve`: the composition root. It builds each server from its dependencies and runs them as a list of
 * components ({ name, start, stop }), started in order and stopped in reverse. SIGTERM/SIGINT stop accepting
 * and let in-flight reviews finish. Components of other parts (the xDS server, config sources) are added to
 * `components` in startServe() in the same shape.
 */
import { resolve } from 'node:path';
import { parseFlags, withUsage, UsageError } from './args.js';
import { Ports } from '../core/constants.js';
import { createLogger, type Logger } from '../core/log.js';
import type { KubeObject } from '../core/kube.js';
import { analysisOptions, loadMeshConfig, type MeshConfig } from '../config/mesh.js';
import { MeshConfigHolder } from '../config/mesh-reload.js';
import { generateAll, hasServingMaterial, MeshCaHolder, readServingMaterial, writeCerts, type MeshAuthority, type ServingMaterial } from '../certs/index.js';
import type { Result } from '../core/result.js';
import type { ExtraRoot } from '../certs/trust.js';
import { caCertificateRoots } from '../config/ca-certificates.js';
import { createRegistry, webhookMetrics, type Registry } from '../metrics.js';
import { attachCertReload, buildWebhookApp, type Injector, type Validator, type WebhookApp } from '../webhook/index.js';
import { buildMonitoringApp, type DebugHandler, type MonitoringApp } from '../monitoring/index.js';
import { injectPod } from '../inject/index.js';
import { proxyConfigsOf } from '../inject/proxy-configs.js';
import { WITHOUT_SIDECAR_CERTIFICATES, validateObject } from '../validation/index.js';
import { analyzeObject, type AnalyzeOptions } from '../analysis/index.js';
import { xdsComponents, type XdsComponent } from '../xds/server/component.js';
import type { ProxyAuthorization } from '../xds/server/index.js';
import type { Proxy } from '../model/proxy.js';
import type { KubeServeOptions } from '../sources/kube/component.js';

const HELP = `usage: mizzen serve [flags]

Runs the control plane: the admission webhooks (HTTPS), the monitoring server, and the components wired below.

  --webhook-port N      webhook HTTPS port (default ${Ports.webhook}; 0 picks a free port)
  --monitoring-port N   monitoring HTTP port: /metrics, /debug/* (default ${Ports.monitoring})
  --host ADDR           address to listen on (default 0.0.0.0)
  --certs-dir DIR       tls.crt, tls.key, ca.crt (a TLS Secret's layout); generated into DIR when absent,
                        reloaded when they change. Without it, certificates are generated in memory.
                        The mesh CA there (mesh-ca.crt, mesh-ca.key, and mesh-roots.crt: roots trusted
                        besides it while it is rotated) is reloaded too; /debug/meshca shows it
  --mesh-config FILE    mesh configuration (YAML): images, proxy defaults, xDS address, injection selectors;
                        reloaded when it changes (/debug/mesh; trustDomain, caCertificates, xdsTlsAddress
                        and workloadCertificateSecrets apply at the next start)
  --config-dir DIR      Istio and Kubernetes YAML to serve (the file config source)
  --xds-port N          xDS (ADS gRPC, plaintext) port (default ${Ports.xdsPlaintext}; 0 picks a free port)
  --xds-tls-port N      xDS over TLS, its certificate signed by the mesh CA in --certs-dir (default ${Ports.xdsTls};
                        0 picks a free port); off without a mesh CA
  --kubeconfig FILE     read Namespaces, Services, EndpointSlices, Pods and Istio resources from this cluster
  --in-cluster          the same with the pod's service account (automatic when KUBERNETES_SERVICE_HOST is set
                        and neither --config-dir nor --kubeconfig is given); /readyz waits for the initial sync
  --heal                restart the owners of pods found running without a sidecar (leader only)
  --deploy-gateways     deploy a gateway for each Gateway API Gateway of class istio that names no Service by
                        its addresses, as Istio does: ServiceAccount, Deployment, Service <gateway>-istio (and HPA,
                        PDB) customized by ConfigMaps, owned by the Gateway (leader; manifests/gateway-deploy/)
  --rotate-workload-certs
                        renew the workload certificate Secrets that 'mizzen workload-cert --secret' made
                        (label mizzen.io/workload-cert=true) before they expire, with the mesh CA in
                        --certs-dir (leader only)
  --log-level LEVEL     trace, debug, info, warn, error (default info)

With 'workloadCertificateSecrets: true' in the mesh config and the Kubernetes source, the leader also creates
the Secret istio.<service account> that an injected pod mounts at /etc/certs (type istio.io/key-and-cert,
signed by the mesh CA in --certs-dir, which it then needs) and renews it as --rotate-workload-certs does.
Its RBAC is in manifests/workload-certs/.
`;

/** A part of the process with a lifetime: started in list order, stopped in reverse. */
export interface Component {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServeOptions {
  webhookPort: number;
  monitoringPort: number;
  host: string;
  certsDir?: string;
  /** The mesh config at start (ctx.mesh holds the one in force). */
  mesh: MeshConfig;
  /** The file `mesh` was loaded from: watched, and reloaded when it changes. */
  meshFile?: string;
  configDir?: string;
  /** The Kubernetes source, leader election and watchdog (src/sources/kube); off when absent. */
  kube?: KubeServeOptions;
  /** xDS gRPC port; the CLI defaults it to 15010, programmatic callers that leave it out get an ephemeral port. */
  xdsPort?: number;
  /** xDS over TLS (mesh CA) port; the CLI defaults it to 15012, programmatic callers that leave it out get none. */
  xdsTlsPort?: number;
  log: Logger;
  /** Overrides for tests; by default the real injector and validator are composed here. */
  injector?: Injector;
  validate?: Validator;
}

/** What components share: the logger, metrics registry, debug handlers, readiness checks and the known world. */
export interface ServeContext {
  opts: ServeOptions;
  log: Logger;
  registry: Registry;
  /**
   * The mesh config in force (opts.mesh until the file changes) and its reload listeners. Parts that read a field at
   * start read opts.mesh; the fields they may read so (config/mesh-changes.ts RESTART_ONLY) never change here.
   */
  mesh: MeshConfigHolder;
  /** `/debug/<name>` handlers on the monitoring server; components add theirs before start. */
  debug: Record<string, DebugHandler>;
  /** /readyz is 200 only when every check passes. */
  readiness: Array<() => boolean>;
  /** The objects the control plane knows (config sources set this), for apply-time analysis warnings. */
  world: () => readonly KubeObject[];
  /** Set by the Kubernetes source: ties a proxy to its pod before the xDS server serves it. */
  authorizeProxy?: (proxy: Proxy) => ProxyAuthorization;
  /** Called after the xDS server makes a snapshot that changed something (the Gateway API status follows them). */
  snapshotListeners: Array<() => void>;
  /**
   * The mesh CA of a certificates directory (mesh-ca.crt, mesh-ca.key, mesh-roots.crt), or why there is none: opened
   * once per directory, watched, and shared by every component that asks, so all follow one reload together.
   */
  meshCa: (dir: string) => Result<MeshAuthority>;
}

export interface RunningServe {
  ctx: ServeContext;
  components: Component[];
  webhook: WebhookApp;
  monitoring: MonitoringApp;
  /** Ports actually bound (useful with port 0). */
  ports: { webhook: number; monitoring: number };
  /** Stops every component in reverse order; in-flight reviews finish first. Idempotent. */
  shutdown(): Promise<void>;
}

const SIDECAR_CERTIFICATE_NOTES = Object.values(WITHOUT_SIDECAR_CERTIFICATES);

/**
 * Validation as the webhook runs it: the validators' verdict, plus analysis findings about the object as warnings.
 * With `sidecarCertificates` (the mesh config's workloadCertificateSecrets), the warnings that hold only for sidecars
 * without mesh certificates are left out.
 */
export function composeValidator(world: () => readonly KubeObject[], analysis: AnalyzeOptions | (() => AnalyzeOptions) = {}, sidecarCertificates = false): Validator {
  return (obj, ctx) => {
    const validated = validateObject(obj);
    const report = sidecarCertificates ? { ...validated, warnings: validated.warnings.filter((w) => !SIDECAR_CERTIFICATE_NOTES.some((n) => w.endsWith(n))) } : validated;
    if (report.errors.length > 0) return report;
    const objects = world();
    // With nothing known (no config source yet) every reference would look missing: say nothing rather than noise.
    if (objects.length === 0) return report;
    const placed: KubeObject = obj.metadata.namespace ? obj : { ...obj, metadata: { ...obj.metadata, namespace: ctx.namespace } };
    const findings = analyzeObject(placed, objects, typeof analysis === 'function' ? analysis() : analysis);
    return { errors: report.errors, warnings: [...report.warnings, ...findings.map((f) => `${f.code} ${f.path ? `${f.path}: ` : ''}${f.message}`)] };
  };
}

async function servingMaterial(opts: ServeOptions): Promise<ServingMaterial> {
  if (!opts.certsDir) {
    opts.log.info('no --certs-dir: generated a webhook certificate in memory');
    return (await generateAll()).serving;
  }
  if (!hasServingMaterial(opts.certsDir)) {
    const generated = await generateAll();
    writeCerts(opts.certsDir, generated);
    opts.log.info({ dir: opts.certsDir }, 'generated webhook and mesh certificates');
  }
  const r = readServingMaterial(opts.certsDir);
  if (!r.ok) throw new UsageError(`--certs-dir: ${r.errors.join('; ')}`);
  return r.value;
}

const portOf = (app: { server: { address(): unknown } }): number => (app.server.address() as { port: number } | null)?.port ?? 0;

/** The Kubernetes components (when configured) feeding the xDS part's store, then the xDS part. */
async function kubeAndXds(ctx: ServeContext, opts: ServeOptions): Promise<Component[]> {
  const xds = xdsComponents(ctx, opts.xdsPort ?? 0, opts.xdsTlsPort);
  if (!opts.kube) {
    if (opts.mesh.workloadCertificateSecrets) {
      ctx.log.info('workloadCertificateSecrets: sidecars mount the Secret istio.<service account> at /etc/certs; without the Kubernetes source mizzen issues none (make them with mizzen workload-cert --secret)');
    }
    return xds;
  }
  // Loaded only when used: @kubernetes/client-node takes about a second to import.
  const { kubeComponents } = await import('../sources/kube/component.js');
  const x = xds[xds.length - 1] as XdsComponent;
  return [...kubeComponents(ctx, x.store, opts.kube, () => x.server()?.current().snapshot).components, ...xds];
}

/**
 * ctx.meshCa: one watched MeshCaHolder per directory, with the mesh config's caCertificates roots trusted after its
 * own, shown at /debug/meshca (one report per directory); close() stops the watches.
 */
function meshCaHolders(log: Logger, registry: Registry, debug: Record<string, DebugHandler>, extraRoots: readonly ExtraRoot[]): { open: (dir: string) => Result<MeshAuthority>; close: () => void } {
  const holders = new Map<string, MeshCaHolder>();
  return {
    open: (dir) => {
      const known = holders.get(resolve(dir));
      if (known) return { ok: true, value: known };
      const r = MeshCaHolder.open(dir, { log, registry, extraRoots });
      if (!r.ok) return r;
      holders.set(resolve(dir), r.value);
      r.value.start();
      debug.meshca = () => [...holders.values()].map((h) => h.report());
      return r;
    },
    close: () => holders.forEach((h) => h.close()),
  };
}

export async function startServe(opts: ServeOptions): Promise<RunningServe> {
  const log = opts.log;
  const registry = createRegistry();
  const debug: Record<string, DebugHandler> = {};
  const meshCas = meshCaHolders(log, registry, debug, caCertificateRoots(opts.mesh.caCertificates ?? []));
  const mesh = new MeshConfigHolder({ file: opts.meshFile, initial: opts.mesh, log, registry });
  debug.mesh = () => mesh.report();
  const ctx: ServeContext = { opts, log, registry, mesh, debug, readiness: [], world: () => [], snapshotListeners: [], meshCa: meshCas.open };
  let started = false;
  let stopping = false;

  const tls = await servingMaterial(opts);
  // ProxyConfig resources come from the config source, as the analysis's world does (none without a source).
  const injector: Injector = opts.injector ?? ((pod, { namespace }) => injectPod(pod, { namespace, mesh: mesh.current(), proxyConfigs: proxyConfigsOf(ctx.world()) }));
  let analysis = { of: mesh.current(), options: analysisOptions(mesh.current()) };
  const analysisNow = (): AnalyzeOptions => (analysis.of === mesh.current() ? analysis : (analysis = { of: mesh.current(), options: analysisOptions(mesh.current()) })).options;
  const webhook = buildWebhookApp({
    tls,
    injector,
    validate: opts.validate ?? composeValidator(() => ctx.world(), analysisNow, opts.mesh.workloadCertificateSecrets),
    log: log.child({ component: 'webhook' }),
    metrics: webhookMetrics(registry),
    ready: () => started && !stopping && ctx.readiness.every((check) => check()),
  });
  if (opts.certsDir) attachCertReload(webhook, opts.certsDir, { log, current: tls });
  const monitoring = buildMonitoringApp({ registry, debug: ctx.debug, log: log.child({ component: 'monitoring' }) });

  const listening = (name: string, app: WebhookApp | MonitoringApp, port: number, scheme: string): Component => ({
    name,
    start: async () => {
      await app.listen({ port, host: opts.host });
      log.info({ port: portOf(app) }, `${name} listening on ${scheme}://${opts.host}:${portOf(app)}`);
    },
    stop: async () => {
      await app.close();
    },
  });

  // Stopped in reverse: the webhook first (stop accepting, finish in-flight reviews), monitoring last.
  const components: Component[] = [
    listening('monitoring', monitoring, opts.monitoringPort, 'http'),
    { name: 'mesh-config', start: async () => mesh.start(), stop: async () => mesh.close() },
    // The config store, --config-dir source and xDS server (other sources, e.g. Kubernetes, are added here too).
    ...(await kubeAndXds(ctx, opts)),
    listening('webhook', webhook, opts.webhookPort, 'https'),
  ];

  const startedComponents: Component[] = [];
  let shutdownPromise: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (shutdownPromise ??= (async () => {
      stopping = true;
      for (const c of [...startedComponents].reverse()) {
        try {
          await c.stop();
          log.debug(`${c.name} stopped`);
        } catch (e) {
          log.error({ err: (e as Error).message }, `${c.name} did not stop cleanly`);
        }
      }
      meshCas.close();
    })());

  for (const c of components) {
    try {
      await c.start();
      startedComponents.push(c);
    } catch (e) {
      await shutdown();
      throw new Error(`${c.name}: ${(e as Error).message}`);
    }
  }
  started = true;
  return { ctx, components, webhook, monitoring, ports: { webhook: portOf(webhook), monitoring: portOf(monitoring) }, shutdown };
}

function port(value: string | undefined, flag: string, def: number): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag}: "${value}" is not a port (0-65535)`);
  return n;
}

/** Resolves when the process is told to stop (SIGTERM, SIGINT); a second signal exits at once. */
function untilSignal(log: Logger): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.removeListener('SIGTERM', on);
      process.removeListener('SIGINT', on);
      process.once(sig, () => {
        log.warn(`second ${sig}: exiting without waiting`);
        process.exit(1);
      });
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

export async function run(argv: string[]): Promise<number> {
  return withUsage(HELP, argv, async () => {
    const { values } = parseFlags(argv, {
      'webhook-port': { type: 'string' },
      'monitoring-port': { type: 'string' },
      host: { type: 'string', default: '0.0.0.0' },
      'certs-dir': { type: 'string' },
      'mesh-config': { type: 'string' },
      'config-dir': { type: 'string' },
      'xds-port': { type: 'string' },
      'xds-tls-port': { type: 'string' },
      kubeconfig: { type: 'string' },
      'in-cluster': { type: 'boolean' },
      heal: { type: 'boolean' },
      'deploy-gateways': { type: 'boolean' },
      'rotate-workload-certs': { type: 'boolean' },
      'log-level': { type: 'string', default: process.env.MIZZEN_LOG_LEVEL ?? 'info' },
    });
    const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
    if (!levels.includes(values['log-level']!)) throw new UsageError(`--log-level: "${values['log-level']}" is not one of ${levels.join(', ')}`);
    const log = createLogger({ level: values['log-level'] });
    const mesh = loadMeshConfig(values['mesh-config']);
    if (!mesh.ok) {
      for (const e of mesh.errors) process.stderr.write(`${e}\n`);
      return 1;
    }
    for (const w of mesh.warnings ?? []) log.warn(w);
    const opts: ServeOptions = {
      webhookPort: port(values['webhook-port'], '--webhook-port', Ports.webhook),
      monitoringPort: port(values['monitoring-port'], '--monitoring-port', Ports.monitoring),
      host: values.host!,
      certsDir: values['certs-dir'],
      mesh: mesh.value,
      meshFile: values['mesh-config'],
      configDir: values['config-dir'],
      xdsPort: port(values['xds-port'], '--xds-port', Ports.xdsPlaintext),
      xdsTlsPort: port(values['xds-tls-port'], '--xds-tls-port', Ports.xdsTls),
      log,
    };
    if (values.kubeconfig && values['in-cluster']) throw new UsageError('--kubeconfig and --in-cluster: choose one');
    const inCluster = values['in-cluster'] === true || (!values.kubeconfig && !values['config-dir'] && !!process.env.KUBERNETES_SERVICE_HOST);
    if (values.kubeconfig || inCluster) opts.kube = { kubeconfig: values.kubeconfig, inCluster: !values.kubeconfig, heal: values.heal === true };
    else if (values.heal) throw new UsageError('--heal needs the Kubernetes source (--kubeconfig or --in-cluster)');
    if (values['deploy-gateways']) {
      if (!opts.kube) throw new UsageError('--deploy-gateways needs the Kubernetes source (--kubeconfig or --in-cluster)');
      opts.kube.deployGateways = {};
    }
    if (values['rotate-workload-certs'] && !opts.kube) throw new UsageError('--rotate-workload-certs needs the Kubernetes source (--kubeconfig or --in-cluster)');
    // workloadCertificateSecrets issues and renews Secrets only with the Kubernetes source (kubeAndXds says so otherwise).
    if (opts.kube && (values['rotate-workload-certs'] || mesh.value.workloadCertificateSecrets)) {
      const what = values['rotate-workload-certs'] ? '--rotate-workload-certs' : 'workloadCertificateSecrets (mesh config)';
      if (!values['certs-dir']) throw new UsageError(`${what} needs --certs-dir, where mesh-ca.crt and mesh-ca.key are`);
      opts.kube.workloadCerts = { certsDir: values['certs-dir'] };
    }
    let running: RunningServe;
    try {
      running = await startServe(opts);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      log.error({ err: (e as Error).message }, 'mizzen serve could not start');
      return 1;
    }
    const sig = await untilSignal(log);
    log.info(`${sig}: stopping (in-flight reviews finish first)`);
    await running.shutdown();
    log.info('stopped');
    return 0;
  });
}
