/** Label selectors as Kubernetes and Istio use them: every key of the selector must be present with the same value. */

/** True when `labels` carries every `selector` pair. An empty selector matches everything. */
export function matchesLabels(labels: Readonly<Record<string, string>>, selector: Readonly<Record<string, string>> | undefined): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/** A string-to-string map from anything (non-string values dropped); {} for anything that is not an object. */
export function stringMap(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val === 'string') out[k] = val;
    else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
  }
  return out;
}

export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const asObject = (v: unknown): Record<string, any> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, any>) : {});
export const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
/** The non-empty strings of a list (anything else, and anything that is not a list, dropped). */
export const nonEmptyStrings = (v: unknown): string[] => asArray(v).filter((x): x is string => typeof x === 'string' && x !== '');
/** A port number 1..65535 from a number or numeric string; undefined otherwise. */
export function asPort(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/** A policy's `selector.matchLabels` (PeerAuthentication, AuthorizationPolicy, RequestAuthentication, Telemetry); {} without one. */
export const policySelector = (spec: unknown): Record<string, string> => asObject(asObject(asObject(spec).selector).matchLabels) as Record<string, string>;

/** Whether a policy attaches by targetRef(s) (to Gateway API gateways: policy-attachment.ts) instead of a selector. */
export const hasTargetRef = (spec: unknown): boolean => asObject(spec).targetRef !== undefined || asArray(asObject(spec).targetRefs).length > 0;
