/** An Istio HTTPMatchRequest list in a line: `uri prefix /api, header end-user exact jason or …`; `any request` when empty. Pure. */
import { asObject } from '../model/selectors.js';

const KINDS = ['exact', 'prefix', 'regex'] as const;

/** `exact /x`, `prefix /`, `regex ^a`; `present` for an empty StringMatch. */
function stringMatch(v: unknown): string {
  const o = asObject(v);
  for (const k of KINDS) if (typeof o[k] === 'string') return `${k} ${o[k]}`;
  return 'present';
}

function one(m: Record<string, any>): string {
  const parts: string[] = [];
  if (m.uri !== undefined) parts.push(`uri ${stringMatch(m.uri)}`);
  if (m.method !== undefined) parts.push(`method ${stringMatch(m.method)}`);
  if (m.authority !== undefined) parts.push(`authority ${stringMatch(m.authority)}`);
  for (const [k, v] of Object.entries(asObject(m.headers))) parts.push(`header ${k} ${stringMatch(v)}`);
  for (const [k, v] of Object.entries(asObject(m.withoutHeaders))) parts.push(`without header ${k} ${stringMatch(v)}`);
  for (const [k, v] of Object.entries(asObject(m.queryParams))) parts.push(`query ${k} ${stringMatch(v)}`);
  if (typeof m.port === 'number') parts.push(`port ${m.port}`);
  const labels = Object.entries(asObject(m.sourceLabels)).map(([k, v]) => `${k}=${String(v)}`);
  if (labels.length > 0) parts.push(`from ${labels.join(',')}`);
  if (typeof m.sourceNamespace === 'string') parts.push(`from namespace ${m.sourceNamespace}`);
  if (Array.isArray(m.gateways) && m.gateways.length > 0) parts.push(`via ${m.gateways.join(',')}`);
  return parts.length > 0 ? parts.join(', ') : 'any request';
}

export function summarizeMatch(matches: readonly unknown[]): string {
  if (matches.length === 0) return 'any request';
  return matches.map((m) => one(asObject(m))).join(' or ');
}
