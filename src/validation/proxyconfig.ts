/**
 * ProxyConfig (networking.istio.io/v1beta1): per-workload, per-namespace or mesh-wide proxy settings that the
 * injector applies when a pod is created (src/inject/proxy-configs.ts). Checked as Istio checks it (a concurrency of
 * at least 0, a selector or a targetRef, not both), plus what would break the pods it applies to: environment
 * variable names the API server refuses. The image type is read and not applied, and says so.
 */
import { type Issues, type Obj, obj, str, strMap, int32, entries } from './schema.js';
import { ENV_VAR_NAME } from '../core/kube.js';
import { shown } from '../core/shown.js';
import { targetRefSchema, warnTargetRefs } from './security.js';
import { matchLabelsSelectorSchema, warnEmptySelector } from './common.js';
import type { KindValidator } from './kind.js';

export const proxyConfigSpec = obj({
  selector: matchLabelsSelectorSchema,
  targetRef: targetRefSchema,
  concurrency: int32((n, p, i) => (n < 0 ? i.error(p, `must be greater than or equal to 0, got ${n}`) : undefined)),
  environmentVariables: strMap({ key: (k, p, i) => (ENV_VAR_NAME.test(k) ? undefined : i.error(p, `${shown(k)} is not an environment variable name: the pods it applies to would be refused`)) }),
  image: obj({ imageType: str() }),
});

export const validateProxyConfig: KindValidator = (spec: Obj, _ctx, issues: Issues) => {
  if (spec.selector !== undefined && spec.targetRef !== undefined) issues.error('spec', 'only one of selector or targetRef may be set');
  warnEmptySelector(spec.selector, 'matchLabels', 'spec.selector', issues);
  warnTargetRefs(spec, 'this ProxyConfig', issues, false);
  if (typeof spec.image?.imageType === 'string') {
    issues.warn('spec.image.imageType', "not applied by mizzen: sidecars run the mesh config's Envoy image (proxyImage; per pod, sidecar.istio.io/proxyImage)");
  }
  if (entries(spec.environmentVariables).length === 0 && spec.concurrency === undefined && spec.image === undefined) {
    issues.warn('spec', 'sets nothing that mizzen applies (concurrency, environmentVariables)');
  }
};
