/** PeerAuthentication: mTLS modes, port-level mTLS (needs a workload selector). */
import { type Issues, type Obj, obj, map, enumOf, entries, len } from './schema.js';
import { WITHOUT_SIDECAR_CERTIFICATES, matchLabelsSelectorSchema, warnEmptySelector } from './common.js';
import type { KindValidator } from './kind.js';

const mtls = obj({ mode: enumOf('UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT') });

export const peerAuthenticationSpec = obj({
  selector: matchLabelsSelectorSchema,
  mtls,
  portLevelMtls: map(mtls),
});

export const validatePeerAuthentication: KindValidator = (spec: Obj, _ctx, issues: Issues) => {
  const hasSelector = len(spec.selector?.matchLabels) > 0;
  const modes = [spec.mtls?.mode, ...Object.values((spec.portLevelMtls ?? {}) as Record<string, { mode?: unknown }>).map((m) => m?.mode)];
  if (modes.includes('STRICT')) issues.warn('spec.mtls.mode', WITHOUT_SIDECAR_CERTIFICATES.strict);
  if (spec.portLevelMtls !== undefined) {
    if (!hasSelector) issues.error('spec.portLevelMtls', 'portLevelMtls requires a selector with matchLabels (mesh- and namespace-wide policies cannot set it)');
    if (len(spec.portLevelMtls) === 0) issues.error('spec.portLevelMtls', 'if set, must have at least one entry');
  }
  for (const [port] of entries(spec.portLevelMtls)) {
    const n = /^[0-9]+$/.test(port) ? Number(port) : NaN;
    if (!(n >= 1 && n <= 65535)) issues.error(`spec.portLevelMtls[${port}]`, 'port must be a number in range 1..65535');
  }
  warnEmptySelector(spec.selector, 'matchLabels', 'spec.selector', issues);
};
