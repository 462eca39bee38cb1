/**
 * Injection of one pod: policy, annotation checks, then the sidecar pieces added to a copy. Only adding
 * (never moving what is there) keeps the webhook's JSON patch minimal: existing containers, init containers,
 * volumes, labels and annotations keep their values and their order. Where the sidecar's containers go is
 * Istio's choice:
 * - `istio-init` after the user's init containers, so that theirs run before traffic is redirected and can
 *   reach the network without a proxy;
 * - with a native sidecar, `istio-init` and then `istio-proxy` before them instead: the kubelet starts the
 *   next init container only once the proxy's startup probe passes, so the user's init containers run in
 *   the mesh (mTLS included);
 * - `istio-proxy` after the application containers (so that kubectl defaults to the application), or first
 *   when the mesh config holds the application until the proxy starts (hold.ts).
 * A pod that asks for Istio's proxyless gRPC templates gets an xDS bootstrap instead of the sidecar (proxyless.ts).
 * A pod that asks for Istio's gateway template (templates.ts) is a gateway: its own `istio-proxy` becomes Envoy as a
 * router, in place; it gets no istio-init (nothing is captured), no native or held proxy, no probe rewriting and no
 * tlsMode label (a gateway is not a mesh endpoint that accepts mTLS), as Istio's gateway template.
 */
import type { KubeObject } from '../core/kube.js';
import { Annotations, ContainerNames, Labels, MeshCerts } from '../core/constants.js';
import type { MeshConfig } from '../config/mesh.js';
import { type Result, ok, fail } from '../core/result.js';
import { decideInjection, podNamespace, type InjectDecision, type InjectOptions } from './policy.js';
import { readInjectParams, type InjectParams } from './annotations.js';
import { PROXY_VOLUME, appContainerNames, certsVolume, initContainer, injectedAnnotations, injectedLabels, proxyVolume, setOwn, statusAnnotation, type BuiltContainer, type Container } from './template.js';
import { proxyContainer } from './proxy.js';
import { type Workload, workloadOf } from './workload.js';
import { additionsPatch } from './patch.js';
import { findOverride, overlayUid } from './overlay.js';
import { isObject } from '../core/object.js';
import { stringMap } from '../model/selectors.js';
import { rootNamespacesOf } from '../model/root-namespaces.js';
import { injectProxyless } from './proxyless.js';
import { wantsGateway, wantsProxyless } from './templates.js';
import { type ProbeRewrite, rewriteProbes, rewriteScrape, rewritesProbes } from './probes.js';

const PROXY_VOLUME_JSON = JSON.stringify(proxyVolume());

export interface InjectedPod {
  /** The pod to admit (when injected, made on first access: read it, do not spread the result). */
  readonly pod: KubeObject;
  decision: InjectDecision;
  /**
   * When the sidecar was injected: the JSON Patch (RFC 6902, as JSON text) turning the input pod into `pod`,
   * written from what injection added. Absent otherwise (then diff the two pods, e.g. with admission's patched()).
   */
  patch?: string;
  /** For the admission response (and kube-inject's stderr): annotations read but not applied. */
  readonly warnings?: readonly string[];
}

/**
 * A shallow copy (own enumerable string keys, in order, as object spread copies them), except `skip`. Built
 * key by key on a fresh object: V8 adds keys to a copy made by spread on a slow path (about 0.7 µs a key).
 */
function copyOf(src: unknown, skip?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof src !== 'object' || src === null) return out;
  const from = src as Record<string, unknown>;
  for (const k of Object.keys(from)) if (k !== skip) setOwn(out, k, from[k]);
  return out;
}

/**
 * An injected pod whose object is made on first access of `pod` (a getter on the prototype: an object literal
 * with its own getter would give every result its own hidden class, which V8 keeps in old space).
 */
class Injection implements InjectedPod {
  #pod?: KubeObject;
  readonly #assemble: () => KubeObject;

  constructor(
    readonly decision: InjectDecision,
    readonly patch: string,
    assemble: () => KubeObject,
    readonly warnings: readonly string[],
  ) {
    this.#assemble = assemble;
  }

  get pod(): KubeObject {
    return (this.#pod ??= this.#assemble());
  }
}

/** Object.assign for fresh string maps, without its generic slow path. */
function assign(target: Record<string, unknown>, add: Record<string, unknown>): void {
  for (const k in add) setOwn(target, k, add[k]);
}


/** Shape checks on the parts of the pod injection reads or extends; errors name the field. */
function checkShape(pod: KubeObject, mesh: MeshConfig): string[] {
  const errors: string[] = [];
  const spec = pod.spec;
  if (!isObject(spec)) return ['spec: required'];
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) errors.push('spec.containers: must be a non-empty list');
  for (const f of ['initContainers', 'volumes'] as const) if (spec[f] !== undefined && spec[f] !== null && !Array.isArray(spec[f])) errors.push(`spec.${f}: must be a list`);
  for (const f of ['labels', 'annotations'] as const) {
    const m = pod.metadata[f];
    if (m !== undefined && m !== null && !isObject(m)) errors.push(`metadata.${f}: must be a mapping`);
  }
  const names = (list: unknown, path: string, reserved: string[]) => {
    if (!Array.isArray(list)) return;
    list.forEach((c, i) => {
      const n = isObject(c) ? c.name : undefined;
      if (typeof n === 'string' && reserved.includes(n)) errors.push(`${path}[${i}].name: "${n}" is reserved for the injected sidecar`);
    });
  };
  names(spec.containers, 'spec.containers', [ContainerNames.init]);
  names(spec.initContainers, 'spec.initContainers', [ContainerNames.init]);
  names(spec.volumes, 'spec.volumes', mesh.workloadCertificateSecrets ? [PROXY_VOLUME.name, MeshCerts.volume] : [PROXY_VOLUME.name]);
  return errors;
}

/**
 * injectPod with the workload known (kube-inject passes the Deployment etc.; the webhook derives it
 * from owner references). Never mutates `pod`; the result shares the parts it does not change with
 * `pod` (an already injected pod comes back as the same object), so treat both as immutable.
 */
export function injectPodAs(pod: KubeObject, opts: InjectOptions, workload?: Workload): Result<InjectedPod> {
  if (!isObject(pod) || !isObject(pod.metadata)) return fail('metadata: required');
  const decision = decideInjection(pod, opts);
  if (!decision.inject) {
    if (decision.reason === 'already-injected') return ok({ pod, decision });
    const annotations = { ...(pod.metadata.annotations ?? {}), [Annotations.skipReason]: decision.reason };
    return ok({ pod: { ...pod, metadata: { ...pod.metadata, annotations } }, decision });
  }
  const shape = checkShape(pod, opts.mesh);
  if (shape.length) return { ok: false, errors: shape };
  if (wantsProxyless(pod)) return injectProxyless(pod, opts, decision, podNamespace(pod, opts.namespace), workload ?? workloadOf(pod));
  const read = readInjectParams(pod, opts.mesh, opts.proxyConfigs?.(podNamespace(pod, opts.namespace), stringMap(pod.metadata.labels), rootNamespacesOf(opts.mesh)));
  if (!read.ok) return read;
  const router = wantsGateway(pod);
  const params: { value: InjectParams } = router ? { value: { ...read.value, interceptionMode: 'NONE', native: false, hold: false } } : read;
  const override = findOverride(pod.spec as Record<string, unknown>, ContainerNames.proxy);
  if (override && override.errors.length) return { ok: false, errors: override.errors };
  if (override && params.value.native && override.list === 'containers' && (pod.spec.containers as unknown[]).length === 1) {
    return fail(`spec.containers[${override.index}]: a pod whose only container is ${ContainerNames.proxy} cannot have a native sidecar (it would have no container left)`);
  }
  /** The pod's own containers and init containers, without its istio-proxy (laid over the injected one). */
  const withoutOverride = (list: 'containers' | 'initContainers', items: Container[]): Container[] =>
    override?.list === list ? items.filter((_, i) => i !== override.index) : items;

  const wl = workload ?? workloadOf(pod);
  const labels = copyOf(pod.metadata.labels) as Record<string, string>;
  const addedLabels = injectedLabels(labels, wl);
  if (router) delete addedLabels[Labels.tlsMode];
  assign(labels, addedLabels);
  const ctx = {
    pod,
    namespace: podNamespace(pod, opts.namespace),
    mesh: opts.mesh,
    params: params.value,
    workload: wl,
    labels,
    override: override?.fields,
    proxyUid: override ? overlayUid(override.fields) : undefined,
    router,
  };
  const rewriting = router ? { on: false, warning: undefined } : rewritesProbes(pod.metadata.annotations, opts.mesh.workloadCertificateSecrets);
  const probes = rewriting.on ? rewriteProbes(pod.spec.containers as unknown[]) : undefined;
  const scrape = rewriting.on ? rewriteScrape(pod.metadata.annotations, opts.mesh.enablePrometheusMerge !== false) : undefined;
  const routes = scrape ? [...(probes?.routes ?? []), scrape.route] : probes?.routes;
  const proxy = proxyContainer(routes && routes.length > 0 ? { ...ctx, appProbes: routes } : ctx);
  if (!proxy.ok) return proxy;
  const more = [...(rewriting.warning ? [rewriting.warning] : []), ...(probes?.warnings ?? []), ...(proxy.value.warnings ?? [])];
  const warnings = more.length > 0 ? [...params.value.warnings, ...more] : params.value.warnings;

  const sidecarInits: BuiltContainer[] = [];
  if (params.value.interceptionMode !== 'NONE') sidecarInits.push(initContainer(ctx));
  if (params.value.native) sidecarInits.push(proxy.value);
  const certs = opts.mesh.workloadCertificateSecrets ? certsVolume(pod) : undefined;
  const status = statusAnnotation(
    sidecarInits.map((c) => c.name),
    params.value.native,
    certs !== undefined,
    opts.mesh.revision,
  );
  const sidecarVolumes = certs ? [PROXY_VOLUME_JSON, JSON.stringify(certs)] : [PROXY_VOLUME_JSON];
  const existing = (pod.metadata.annotations ?? {}) as Record<string, string>;
  const addedAnnotations = injectedAnnotations(existing, status, appContainerNames(pod), opts.mesh, certs !== undefined);
  if (scrape) Object.assign(addedAnnotations, scrape.annotations);
  const patch = additionsPatch(pod, {
    labels: addedLabels,
    annotations: addedAnnotations,
    removedAnnotations: Object.prototype.hasOwnProperty.call(existing, Annotations.skipReason) ? [Annotations.skipReason] : [],
    containers: params.value.native ? [] : [proxy.value.json],
    initContainers: sidecarInits.map((c) => c.json),
    volumes: params.value.volumes.length === 0 ? sidecarVolumes : [...sidecarVolumes, ...params.value.volumes.map((v) => JSON.stringify(v))],
    first: { containers: params.value.hold, initContainers: params.value.native },
    removed: override ? { list: override.list, index: override.index } : undefined,
    probes: probes && probes.rewrites.length > 0 ? probes.rewrites.map((r) => ({ index: r.index, field: r.field, json: JSON.stringify(r.probe) })) : undefined,
  });

  // The injected pod, made only when asked for: the webhook sends the patch and never needs it. Only what
  // changes is copied (structural sharing): a 64 KB pod costs no deep clone.
  const assemble = (): KubeObject => {
    const inSpec = pod.spec as Record<string, unknown> & { containers: Container[]; initContainers?: Container[] | null; volumes?: unknown[] | null };
    const inits = sidecarInits.map((c) => c.build());
    const spec = copyOf(inSpec);
    const own = withoutOverride('initContainers', inSpec.initContainers ?? []);
    const apps = withoutOverride('containers', withProbes(inSpec.containers, probes?.rewrites));
    if (params.value.native) spec.containers = [...apps];
    else spec.containers = params.value.hold ? [proxy.value.build(), ...apps] : [...apps, proxy.value.build()];
    if (inits.length || override?.list === 'initContainers') spec.initContainers = params.value.native ? [...inits, ...own] : [...own, ...inits];
    spec.volumes = [...(inSpec.volumes ?? []), proxyVolume(), ...(certs ? [structuredClone(certs)] : []), ...params.value.volumes.map((v) => ({ ...v }))];
    const annotations = copyOf(pod.metadata.annotations, Annotations.skipReason);
    assign(annotations, addedAnnotations);
    const meta = copyOf(pod.metadata);
    meta.labels = labels;
    meta.annotations = annotations;
    const out = copyOf(pod) as KubeObject;
    out.metadata = meta as KubeObject['metadata'];
    out.spec = spec;
    return out;
  };
  return ok(new Injection(decision, patch, assemble, warnings));
}

/** The containers with their rewritten probes (probes.ts); the same list when there are none. */
function withProbes(containers: Container[], rewrites: readonly ProbeRewrite[] | undefined): Container[] {
  if (!rewrites || rewrites.length === 0) return containers;
  const out = [...containers];
  for (const r of rewrites) out[r.index] = { ...out[r.index]!, [r.field]: structuredClone(r.probe) };
  return out;
}
