/**
 * The Kubernetes part of `mizzen serve`, as serve components (started in order, stopped in reverse):
 *
 *   kube-source      informers → the config store (source `kube`); /readyz waits for their initial sync;
 *                    with the mesh config's workloadCertificateSecrets also Secrets, reduced to gateway
 *                    credentials (secrets.ts), for the gateways' credentialName;
 *                    proxies are tied to their pods (ctx.authorizeProxy, checked by the xDS server);
 *                    /debug/kubez shows every informer and the rejected Istio resources
 *   leader-election  a Lease in the control-plane namespace; released on shutdown
 *   watchdog         pods without a sidecar in injection-enabled namespaces (/debug/uninjected);
 *                    Events and --heal restarts by the leader only
 *   gateway-status   the leader writes the status of the Gateway API objects mizzen serves (gateway-status.ts),
 *                    from the snapshot the xDS server serves; /debug/gatewaystatus counts the writes
 *   ingress-status   the leader writes the ingress gateway Service's addresses into the status of the Ingresses
 *                    mizzen serves (ingress-status.ts); /debug/ingressstatus counts the writes
 *   gateway-deploy   with --deploy-gateways: the leader makes the ServiceAccount, Deployment and Service of each
 *                    managed Gateway of class istio, customized by ConfigMaps (with an HPA and a PDB when they
 *                    ask for them) (gateway-deploy.ts); /debug/gatewaydeploy shows the last sync
 *   workload-certs   with --rotate-workload-certs: the leader renews workload certificate Secrets
 *                    (cert-rotator.ts); with the mesh config's workloadCertificateSecrets it also creates the
 *                    Secrets istio.<service account> that pods mount (cert-issuer.ts) and renews them;
 *                    both follow the mesh CA as it is reloaded (ctx.meshCa), and pass again at once when it
 *                    changes; /debug/workloadcerts shows both
 *
 * start() never waits for the API server: informers start in the background and readiness reports the sync, so
 * the webhook and xDS listen (and /healthz answers) even while the API server is unreachable.
 */
import type { Component, ServeContext } from '../../cmd/serve.js';
import type { ConfigStore } from '../../model/store.js';
import type { KubeObject } from '../../core/kube.js';
import { createKubeClient, loadKubeConfig, type KubeClient } from './client.js';
import { checkProxyIdentity } from './identity.js';
import { defaultIdentity, LeaderElector } from './leader.js';
import { KubeSource, type InformerTuning } from './source.js';
import { kubeResources } from './resources.js';
import { Watchdog } from './watchdog.js';
import { CertRotator } from './cert-rotator.js';
import { CertIssuer } from './cert-issuer.js';
import type { Snapshot } from '../../model/types.js';
import { GatewayStatusWriter } from './gateway-status.js';
import { IngressStatusWriter } from './ingress-status.js';
import { GatewayDeployer } from './gateway-deploy.js';
import { proxyConfigsOf } from '../../inject/proxy-configs.js';
import { isManagedGateway } from '../../model/gateway-api-deploy.js';
import { isGatewayCustomization } from './configmaps.js';
import { GATEWAY_API_GROUP, GATEWAY_API_X_GROUP } from '../../model/gateway-refs.js';
import { discoveredAmong } from '../../model/discovery.js';

export interface KubeServeOptions {
  kubeconfig?: string;
  inCluster?: boolean;
  context?: string;
  /** Restart the owners of uninjected pods (leader only). */
  heal?: boolean;
  /** Tie proxies to their pods (default true). */
  verifyProxies?: boolean;
  informer?: InformerTuning;
  leader?: { namespace?: string; name?: string; identity?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  watchdog?: { intervalMs?: number; debounceMs?: number; healCooldownMs?: number; maxHealAttempts?: number };
  /** Gateway API status: from a new snapshot (or a Gateway API object's change) to the write (default 250 ms), and between full syncs (default 60 s). */
  gatewayStatus?: { debounceMs?: number; intervalMs?: number };
  /**
   * Deploy a gateway (ServiceAccount, Deployment, Service; HPA and PDB when its customization ConfigMaps ask for
   * them) for each managed Gateway API Gateway of class istio, as Istio does (leader only): from a Gateway,
   * GatewayClass or customization ConfigMap change to the sync (default 250 ms), between full syncs (default 60 s),
   * and the longest wait for one API request (default 10 s). Off when absent.
   */
  deployGateways?: { debounceMs?: number; intervalMs?: number; requestTimeoutMs?: number };
  /**
   * Renew workload certificate Secrets with the mesh CA in this directory (leader only). Off when absent, unless
   * the mesh config sets workloadCertificateSecrets: then it is on, with the serve --certs-dir.
   */
  workloadCerts?: {
    certsDir: string;
    /** Between rotation scans and issuer resyncs (default 5 min). */
    intervalMs?: number;
    /** From a pod change to the creation of the Secret it mounts (default 100 ms). */
    issueDebounceMs?: number;
    /** First retry of a failed creation (default 1 s; doubling up to 60 s). */
    issueRetryMs?: number;
  };
}

export interface KubeParts {
  source(): KubeSource | undefined;
  leader(): LeaderElector | undefined;
  watchdog(): Watchdog | undefined;
  certRotator(): CertRotator | undefined;
  certIssuer(): CertIssuer | undefined;
  gatewayStatus(): GatewayStatusWriter | undefined;
  ingressStatus(): IngressStatusWriter | undefined;
  gatewayDeployer(): GatewayDeployer | undefined;
}

/** `fn` once, `ms` after the first call since it last ran (calls meanwhile add nothing); cancel() drops a pending run. */
function debounce(fn: () => void, ms: number): { (): void; cancel(): void } {
  let pending: NodeJS.Timeout | undefined;
  const call = (): void => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      fn();
    }, ms);
    pending.unref?.();
  };
  call.cancel = (): void => {
    clearTimeout(pending);
    pending = undefined;
  };
  return call;
}

/**
 * Keeps a leader's job in step with the cluster: `run` soon after each change of the source that `wanted` accepts
 * (debounced), every `intervalMs`, and once the source has synced (at once with `onSynced: 'run'`, else soon).
 * `soon` is for other triggers; `stop` ends all of it.
 */
function keepRunning(
  source: KubeSource,
  run: () => void,
  o: { debounceMs: number; intervalMs: number; wanted: (kind: string, obj: KubeObject) => boolean; onSynced?: 'run' | 'soon' },
): { soon: ReturnType<typeof debounce>; stop: () => void } {
  const soon = debounce(run, o.debounceMs);
  const off = source.onChange((_type, kind, obj) => {
    if (o.wanted(kind, obj)) soon();
  });
  const every = setInterval(run, o.intervalMs);
  every.unref?.();
  void source.whenSynced().then((ok) => (ok ? (o.onSynced === 'run' ? run() : soon()) : undefined));
  return {
    soon,
    stop: () => {
      off();
      soon.cancel();
      clearInterval(every);
    },
  };
}

/** Also runs a keepRunning job soon after each snapshot that changed something; the returned stop ends both. */
function onSnapshotsToo(ctx: ServeContext, driven: { soon: () => void; stop: () => void }): () => void {
  ctx.snapshotListeners.push(driven.soon);
  return () => {
    driven.stop();
    const i = ctx.snapshotListeners.indexOf(driven.soon);
    if (i >= 0) ctx.snapshotListeners.splice(i, 1);
  };
}

/** `snapshot`: the snapshot the xDS server serves, which the Gateway API status is computed from. */
export function kubeComponents(ctx: ServeContext, store: ConfigStore, o: KubeServeOptions, snapshot: () => Snapshot | undefined = () => undefined): { components: Component[]; parts: KubeParts } {
  const log = ctx.log;
  let client: KubeClient | undefined;
  let source: KubeSource | undefined;
  let leader: LeaderElector | undefined;
  let watchdog: Watchdog | undefined;
  let rotator: CertRotator | undefined;
  let issuer: CertIssuer | undefined;
  let certTimer: NodeJS.Timeout | undefined;
  let issueSoon: NodeJS.Timeout | undefined;
  let unsubscribeIssuer: (() => void) | undefined;
  let unsubscribeMeshCa: (() => void) | undefined;
  let statusWriter: GatewayStatusWriter | undefined;
  let stopStatus: (() => void) | undefined;
  let statusSoon: (() => void) | undefined;
  let ingressWriter: IngressStatusWriter | undefined;
  let stopIngressStatus: (() => void) | undefined;
  let deployer: GatewayDeployer | undefined;
  let stopDeploying: (() => void) | undefined;
  const issuing = ctx.opts.mesh.workloadCertificateSecrets;
  let stopWatchdog: (() => void) | undefined;
  const identity = o.leader?.identity ?? defaultIdentity();

  ctx.readiness.push(() => source?.synced() ?? false);
  if (o.verifyProxies !== false) {
    // Until every informer has listed, a proxy would get partial config (and a pod may look absent): UNAVAILABLE.
    ctx.authorizeProxy = (proxy) => (source ? checkProxyIdentity(proxy, { synced: () => source!.synced(), pod: (ns, name) => source!.pod(ns, name) }) : { ok: false, code: 'unavailable', message: 'the Kubernetes source has not started yet (retry)' });
  }

  const kubeSource: Component = {
    name: 'kube-source',
    start: async () => {
      const kc = await loadKubeConfig({ kubeconfig: o.kubeconfig, inCluster: o.inCluster, context: o.context });
      client = createKubeClient(kc);
      // Gateways authenticate with their workload certificate, so without those no gateway may read a credential.
      source = new KubeSource({ client, store, log, registry: ctx.registry, informer: o.informer, resources: kubeResources({ secrets: issuing }) });
      ctx.debug.kubez = () => source!.status();
      await source.start();
      log.info({ server: client.server }, 'kube source started; ready once every informer has listed');
    },
    stop: async () => source?.stop(),
  };

  const election: Component = {
    name: 'leader-election',
    start: async () => {
      leader = new LeaderElector({
        ...o.leader,
        identity,
        client: client!,
        log,
        onStartedLeading: () => {
          void statusWriter?.sync();
          void ingressWriter?.sync();
          void deployer?.sync();
          void watchdog?.scan();
          void rotator?.scan();
          void issuer?.resync();
        },
      });
      ctx.debug.leader = () => leader!.status();
      leader.start();
    },
    stop: async () => leader?.stop(),
  };

  const dog: Component = {
    name: 'watchdog',
    start: async () => {
      const w = new Watchdog({
        client: client!,
        mesh: () => ctx.mesh.current(),
        pods: () => (source!.informer('Pod')?.synced && source!.informer('Namespace')?.synced ? source!.objects('Pod') : []),
        namespaceLabels: (ns) => source!.namespace(ns)?.metadata.labels,
        isLeader: () => leader?.isLeader() ?? false,
        heal: o.heal,
        identity,
        controlPlaneNamespace: o.leader?.namespace ?? process.env.POD_NAMESPACE,
        healCooldownMs: o.watchdog?.healCooldownMs,
        maxHealAttempts: o.watchdog?.maxHealAttempts,
        log,
        registry: ctx.registry,
      });
      watchdog = w;
      ctx.debug.uninjected = () => w.report();
      const driven = keepRunning(source!, () => void w.scan(), {
        debounceMs: o.watchdog?.debounceMs ?? 1000,
        intervalMs: o.watchdog?.intervalMs ?? 60_000,
        wanted: (kind) => kind === 'Pod' || kind === 'Namespace',
        onSynced: 'run',
      });
      // A reloaded mesh config may change which pods the webhook injects (revision, inject selectors): look again now.
      const unfollowMesh = ctx.mesh.onChange(() => driven.soon());
      stopWatchdog = () => {
        unfollowMesh();
        driven.stop();
      };
    },
    stop: async () => stopWatchdog?.(),
  };

  const gatewayStatus: Component = {
    name: 'gateway-status',
    start: async () => {
      const kinds = [...['Gateway', 'HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'GatewayClass', 'BackendTLSPolicy', 'ListenerSet'].map((k) => `${k}.${GATEWAY_API_GROUP}`), `XBackendTrafficPolicy.${GATEWAY_API_X_GROUP}`];
      const w = new GatewayStatusWriter({
        client: client!,
        isLeader: () => leader?.isLeader() ?? false,
        objects: () => kinds.flatMap((k) => source!.objects(k)),
        snapshot,
        deployed: o.deployGateways ? isManagedGateway : undefined,
        invalidParameters: o.deployGateways ? (gw) => deployer?.invalidParameters(`${gw.metadata.namespace || 'default'}/${gw.metadata.name ?? ''}`) : undefined,
        log,
        registry: ctx.registry,
      });
      statusWriter = w;
      ctx.debug.gatewaystatus = () => w.report();
      // A new snapshot may change any status (routes, workloads, Services); a Gateway API object's own status
      // changing (by another writer) makes no snapshot, so those are watched too.
      const driven = keepRunning(source!, () => void w.sync(), {
        debounceMs: o.gatewayStatus?.debounceMs ?? 250,
        intervalMs: o.gatewayStatus?.intervalMs ?? 60_000,
        wanted: (_kind, obj) => obj.apiVersion?.startsWith(`${GATEWAY_API_GROUP}/`) === true || obj.apiVersion?.startsWith(`${GATEWAY_API_X_GROUP}/`) === true,
      });
      statusSoon = driven.soon;
      stopStatus = onSnapshotsToo(ctx, driven);
    },
    stop: async () => stopStatus?.(),
  };

  const ingressStatus: Component = {
    name: 'ingress-status',
    start: async () => {
      const w = new IngressStatusWriter({
        client: client!,
        isLeader: () => leader?.isLeader() ?? false,
        objects: () => source!.objects('Ingress.networking.k8s.io'),
        snapshot,
        log,
        registry: ctx.registry,
      });
      ingressWriter = w;
      ctx.debug.ingressstatus = () => w.report();
      // A new snapshot brings the gateway Service's addresses and the classes; an Ingress's own status changing
      // (by another writer) makes no snapshot, so Ingresses are watched too.
      const driven = keepRunning(source!, () => void w.sync(), {
        debounceMs: o.gatewayStatus?.debounceMs ?? 250,
        intervalMs: o.gatewayStatus?.intervalMs ?? 60_000,
        wanted: (kind, obj) => kind === 'Ingress' && obj.apiVersion?.startsWith('networking.k8s.io/') === true,
      });
      stopIngressStatus = onSnapshotsToo(ctx, driven);
    },
    stop: async () => stopIngressStatus?.(),
  };

  const deploy: Component = {
    name: 'gateway-deploy',
    start: async () => {
      const informed = (kind: string): readonly KubeObject[] | undefined => {
        const i = source!.informer(`${kind}.${GATEWAY_API_GROUP}`);
        return i?.synced ? source!.objects(`${kind}.${GATEWAY_API_GROUP}`) : undefined;
      };
      const configMaps = source!.informer('ConfigMap');
      // As istiod's deployment controller: Gateways and ConfigMaps of namespaces the discoverySelectors leave out are not seen.
      const selectors = () => ctx.mesh.current().discoverySelectors;
      const namespaces = source!.informer('Namespace');
      const d = new GatewayDeployer({
        client: client!,
        isLeader: () => leader?.isLeader() ?? false,
        objects: () => {
          const gateways = informed('Gateway');
          const classes = informed('GatewayClass');
          if (!gateways || !classes || !configMaps?.synced || (selectors().length > 0 && !namespaces?.synced)) return undefined;
          const discovered = <T extends KubeObject>(objs: readonly T[]): readonly T[] => discoveredAmong(objs, source!.objects('Namespace'), selectors());
          return { gateways: discovered(gateways), classes, configMaps: discovered(source!.objects('ConfigMap')) };
        },
        controlPlaneNamespace: o.leader?.namespace ?? process.env.POD_NAMESPACE,
        onInvalidParameters: () => statusSoon?.(),
        mesh: () => ctx.mesh.current(),
        proxyConfigs: () => proxyConfigsOf(ctx.world()),
        log,
        registry: ctx.registry,
        requestTimeoutMs: o.deployGateways?.requestTimeoutMs,
      });
      deployer = d;
      ctx.debug.gatewaydeploy = () => d.report();
      // A ConfigMap that customizes gateways, or did until this change (an overlay key or its label gone).
      const customizing = new Set<string>();
      const customizationChanged = (cm: KubeObject): boolean => {
        const key = `${cm.metadata.namespace ?? ''}/${cm.metadata.name ?? ''}`;
        const was = customizing.delete(key);
        if (isGatewayCustomization(cm)) customizing.add(key);
        return was || customizing.has(key);
      };
      stopDeploying = keepRunning(source!, () => void d.sync(), {
        debounceMs: o.deployGateways?.debounceMs ?? 250,
        intervalMs: o.deployGateways?.intervalMs ?? 60_000,
        wanted: (kind, obj) =>
          kind === 'ConfigMap' ? customizationChanged(obj) : (kind === 'Namespace' && selectors().length > 0) || ((obj.kind === 'Gateway' || obj.kind === 'GatewayClass') && obj.apiVersion?.startsWith(`${GATEWAY_API_GROUP}/`) === true),
      }).stop;
      // The gateways' pods are injected with the mesh config: a reloaded one is deployed now, not at the next interval.
      const unfollowMesh = ctx.mesh.onChange(() => void d.sync());
      const stopSyncing = stopDeploying;
      stopDeploying = () => {
        unfollowMesh();
        stopSyncing();
      };
    },
    stop: async () => stopDeploying?.(),
  };

  const certs: Component = {
    name: 'workload-certs',
    start: async () => {
      const what = issuing ? 'workloadCertificateSecrets (mesh config)' : '--rotate-workload-certs';
      const certsDir = o.workloadCerts?.certsDir ?? ctx.opts.certsDir;
      if (!certsDir) throw new Error(`${what}: needs the mesh CA: --certs-dir, where mesh-ca.crt and mesh-ca.key are`);
      const ca = ctx.meshCa(certsDir);
      if (!ca.ok) throw new Error(`${what}: ${ca.errors.join('; ')}`);
      const meshCa = () => ca.value.current();
      const isLeader = (): boolean => leader?.isLeader() ?? false;
      const trustDomain = ctx.opts.mesh.trustDomain;
      const r = new CertRotator({ client: client!, meshCa, trustDomain, isLeader, log, registry: ctx.registry });
      rotator = r;
      const i = issuing ? new CertIssuer({ client: client!, meshCa, trustDomain, isLeader, pods: () => source!.objects('Pod'), log, registry: ctx.registry, retryMs: o.workloadCerts?.issueRetryMs }) : undefined;
      issuer = i;
      // A reloaded mesh CA: every Secret gets the new roots (or a certificate from the new CA) now, not at the next
      // interval. Creations under way finish first, so the rotator's pass sees them too.
      unsubscribeMeshCa = ca.value.onChange(() => {
        void (async () => {
          await i?.resync();
          await r.scan();
        })().catch((e: Error) => log.error({ err: e.message }, 'workload certificates: the pass after a mesh CA change failed; the next interval tries again'));
      });
      ctx.debug.workloadcerts = () => ({ ...r.report(), ...(i ? { issuing: i.report() } : {}) });
      const every = setInterval(() => {
        void i?.resync();
        void r.scan();
      }, o.workloadCerts?.intervalMs ?? 5 * 60_000);
      every.unref?.();
      certTimer = every;
      void r.scan();
      if (!i) return;
      // A pod that mounts a missing Secret waits in ContainerCreating: create it as soon as the informer shows it.
      unsubscribeIssuer = source!.onChange((type, kind, obj) => {
        if (kind !== 'Pod' || type === 'delete' || issueSoon || !i.wants(obj)) return;
        issueSoon = setTimeout(() => {
          issueSoon = undefined;
          void i.ensure();
        }, o.workloadCerts?.issueDebounceMs ?? 100);
        issueSoon.unref?.();
      });
      void i.resync();
      void source!.whenSynced().then((ok) => (ok ? i.resync() : undefined));
    },
    stop: async () => {
      unsubscribeMeshCa?.();
      unsubscribeIssuer?.();
      issuer?.stop();
      clearInterval(certTimer);
      clearTimeout(issueSoon);
    },
  };

  return {
    components: [kubeSource, election, dog, gatewayStatus, ingressStatus, ...(o.deployGateways ? [deploy] : []), ...(o.workloadCerts || issuing ? [certs] : [])],
    parts: { source: () => source, leader: () => leader, watchdog: () => watchdog, certRotator: () => rotator, certIssuer: () => issuer, gatewayStatus: () => statusWriter, ingressStatus: () => ingressWriter, gatewayDeployer: () => deployer },
  };
}
