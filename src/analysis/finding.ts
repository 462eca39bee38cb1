/** The value every analyzer returns, and how findings are built, ordered and printed. */
import type { KubeObject } from '../core/kube.js';
import { CODES, LEVEL_ORDER, type Code, type Level } from './codes.js';
import { nameOf, nsOf } from './world.js';

export interface Finding {
  code: string;
  level: Level;
  message: string;
  resource: { kind: string; namespace: string; name: string };
  /** Field path inside the resource, e.g. `spec.http[0].route[1].destination.subset`. */
  path?: string;
}

export function resourceOf(o: KubeObject): Finding['resource'] {
  return { kind: o.kind, namespace: o.kind === 'Namespace' ? '' : nsOf(o), name: nameOf(o) };
}

export function finding(code: Code, o: KubeObject, message: string, path?: string): Finding {
  const f: Finding = { code, level: CODES[code].level, message, resource: resourceOf(o) };
  if (path !== undefined) f.path = path;
  return f;
}

/**
 * Istio's per-resource suppression: `galley.istio.io/analyze-suppress: IST0101,MZ0003` (a comma-separated list of
 * codes, or `*` for every code) on a resource drops its findings of those codes, as istioctl analyze drops them.
 */
export const SUPPRESS_ANNOTATION = 'galley.istio.io/analyze-suppress';

const resourceKey = (r: Finding['resource']): string => `${r.kind}\u0000${r.namespace}\u0000${r.name}`;

/** `findings` without those the annotation of their resource (among `objects`) suppresses. */
export function unsuppressed(findings: readonly Finding[], objects: readonly KubeObject[]): Finding[] {
  const codes = new Map<string, Set<string>>();
  for (const o of objects) {
    const value = o.metadata?.annotations?.[SUPPRESS_ANNOTATION];
    if (typeof value !== 'string' || value.trim() === '') continue;
    codes.set(resourceKey(resourceOf(o)), new Set(value.split(',').map((c) => c.trim())));
  }
  if (codes.size === 0) return [...findings];
  return findings.filter((f) => {
    const set = codes.get(resourceKey(f.resource));
    return !set || !(set.has('*') || set.has(f.code));
  });
}

/**
 * istioctl analyze's --suppress: `CODE=RESOURCE`, RESOURCE being `Kind name.namespace` (`Kind name` for a
 * cluster-scoped one) where `*` matches any run of characters and `?` one, e.g. `IST0107=Pod *.baz`.
 */
export interface Suppression {
  code: string;
  resource: RegExp;
}

export function parseSuppression(text: string): Suppression | string {
  const eq = text.indexOf('=');
  const code = text.slice(0, eq).trim();
  const resource = text.slice(eq + 1).trim();
  if (eq <= 0 || code === '' || resource === '') return `"${text}" is not CODE=RESOURCE, e.g. "IST0107=Pod *.baz"`;
  const pattern = resource.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return { code, resource: new RegExp(`^${pattern}$`) };
}

/** The name istioctl suppressions match: `Kind name.namespace`, or `Kind name` without a namespace. */
export const friendlyName = (r: Finding['resource']): string => `${r.kind} ${r.name}${r.namespace ? `.${r.namespace}` : ''}`;

export const suppressedBy = (f: Finding, list: readonly Suppression[]): boolean => list.some((s) => s.code === f.code && s.resource.test(friendlyName(f.resource)));

const identity = (f: Finding): string => `${f.code}\u0000${f.resource.kind}\u0000${f.resource.namespace}\u0000${f.resource.name}\u0000${f.path ?? ''}\u0000${f.message}`;

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Order of findings: level (Errors first), resource, code, path, message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] ||
    cmp(a.resource.kind, b.resource.kind) ||
    cmp(a.resource.namespace, b.resource.namespace) ||
    cmp(a.resource.name, b.resource.name) ||
    cmp(a.code, b.code) ||
    cmp(a.path ?? '', b.path ?? '') ||
    cmp(a.message, b.message)
  );
}

/** Drops repeated findings (several versions of one resource say the same thing) and orders them. */
export function normalize(findings: readonly Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const f of findings) if (!seen.has(identity(f))) seen.set(identity(f), f);
  return [...seen.values()].sort(compareFindings);
}

/** `Error [IST0101] (VirtualService default/reviews) spec.http[0]...: message`, like istioctl analyze. */
export function formatFinding(f: Finding, where?: string): string {
  const res = f.resource.namespace ? `${f.resource.namespace}/${f.resource.name}` : f.resource.name;
  const loc = where ? ` ${where}` : '';
  const path = f.path ? `${f.path}: ` : '';
  return `${f.level} [${f.code}] (${f.resource.kind} ${res}${loc}) ${path}${f.message}`;
}
