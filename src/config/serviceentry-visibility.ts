/**
 * Reads Istio's meshConfig.serviceEntryVisibility: a default visibility and ordered policies that give ServiceEntries
 * a visibility (NONE, NAMESPACE, PUBLIC; VISIBILITY_UNSPECIFIED is PUBLIC) by the labels of their namespace. Sidecars
 * follow it only when applyToSidecars is true (model/serviceentry-visibility.ts applies it); otherwise istiod leaves
 * it to ambient proxies, which mizzen does not have, so the field is then warned as changing nothing. Field names
 * are taken in their JSON and proto spellings; every error and warning names its path. Pure.
 */
import { isObject } from '../core/object.js';
import { shown } from '../core/shown.js';
import { Issues } from '../validation/schema.js';
import { checkLabelSelector } from '../validation/common.js';
import type { EntryVisibility, EntryVisibilitySettings } from '../model/serviceentry-visibility.js';
import type { LabelSelector } from './mesh.js';

/** A visibility as written. */
export type VisibilityName = 'VISIBILITY_UNSPECIFIED' | EntryVisibility;
const VISIBILITIES: readonly VisibilityName[] = ['VISIBILITY_UNSPECIFIED', 'NONE', 'NAMESPACE', 'PUBLIC'];

/** The field as checked, under JSON names; a rule without namespaceSelector has no matcher mizzen knows. */
export interface ServiceEntryVisibility {
  defaultVisibility: VisibilityName;
  applyToSidecars: boolean;
  policies: Array<{ visibility: VisibilityName; matchingRules: Array<{ namespaceSelector?: LabelSelector }> }>;
}

const FIELD = 'serviceEntryVisibility';
/** Each level's fields by the names accepted, JSON and proto. */
const TOP: Record<string, string> = { defaultVisibility: 'defaultVisibility', default_visibility: 'defaultVisibility', applyToSidecars: 'applyToSidecars', apply_to_sidecars: 'applyToSidecars', policies: 'policies' };
const POLICY: Record<string, string> = { visibility: 'visibility', matchingRules: 'matchingRules', matching_rules: 'matchingRules' };
const RULE: Record<string, string> = { namespaceSelector: 'namespaceSelector', namespace_selector: 'namespaceSelector' };

/** `value`'s fields under their JSON names (null ones left out); an unknown name is reported by `unknown`. */
function fieldsOf(value: Record<string, unknown>, names: Record<string, string>, unknown: (key: string) => void): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, v] of Object.entries(value)) {
    if (!Object.hasOwn(names, key)) unknown(key);
    else if (v !== null && v !== undefined) out.set(names[key]!, v);
  }
  return out;
}

function visibilityAt(v: unknown, at: string, errors: string[]): VisibilityName {
  if (v === undefined) return 'VISIBILITY_UNSPECIFIED';
  if (typeof v === 'string' && VISIBILITIES.includes(v as VisibilityName)) return v as VisibilityName;
  errors.push(`${at}: ${shown(v)} must be one of ${VISIBILITIES.join(', ')}`);
  return 'VISIBILITY_UNSPECIFIED';
}

function readRule(raw: unknown, at: string, errors: string[], warnings: string[]): { namespaceSelector?: LabelSelector } {
  if (!isObject(raw)) {
    errors.push(`${at}: must be a mapping, got ${shown(raw)}`);
    return {};
  }
  const others: string[] = [];
  const f = fieldsOf(raw, RULE, (k) => others.push(k));
  const selector = f.get('namespaceSelector');
  if (others.length > 0) warnings.push(`${at}: ${others.join(', ')}: not a matcher mizzen knows (namespaceSelector is)${selector === undefined ? ': the rule never matches, as istiod treats a matcher it does not know' : ': ignored'}`);
  else if (selector === undefined) warnings.push(`${at}: no matcher (namespaceSelector): the rule never matches, so its policy never applies`);
  if (selector === undefined) return {};
  const issues = new Issues();
  checkLabelSelector(selector, `${at}.namespaceSelector`, issues);
  errors.push(...issues.errors);
  return issues.errors.length ? {} : { namespaceSelector: structuredClone(selector) as LabelSelector };
}

function readPolicy(raw: unknown, at: string, errors: string[], warnings: string[]): ServiceEntryVisibility['policies'][number] {
  if (!isObject(raw)) {
    errors.push(`${at}: must be a mapping, got ${shown(raw)}`);
    return { visibility: 'VISIBILITY_UNSPECIFIED', matchingRules: [] };
  }
  const f = fieldsOf(raw, POLICY, (k) => errors.push(`${at}.${k}: unknown field`));
  const visibility = visibilityAt(f.get('visibility'), `${at}.visibility`, errors);
  const rules = f.get('matchingRules') ?? [];
  if (!Array.isArray(rules)) {
    errors.push(`${at}.matchingRules: must be a list, got ${shown(rules)}`);
    return { visibility, matchingRules: [] };
  }
  return { visibility, matchingRules: rules.map((r, j) => readRule(r, `${at}.matchingRules[${j}]`, errors, warnings)) };
}

/** The checked field (undefined when unset); errors and warnings name `serviceEntryVisibility.<path>`. */
export function readServiceEntryVisibility(value: unknown, errors: string[], warnings: string[]): ServiceEntryVisibility | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    errors.push(`${FIELD}: must be a mapping, got ${shown(value)}`);
    return undefined;
  }
  const f = fieldsOf(value, TOP, (k) => errors.push(`${FIELD}.${k}: unknown field`));
  const apply = f.get('applyToSidecars') ?? false;
  if (typeof apply !== 'boolean') errors.push(`${FIELD}.applyToSidecars: must be a boolean, got ${shown(apply)}`);
  const out: ServiceEntryVisibility = { defaultVisibility: visibilityAt(f.get('defaultVisibility'), `${FIELD}.defaultVisibility`, errors), applyToSidecars: apply === true, policies: [] };
  const policies = f.get('policies') ?? [];
  if (!Array.isArray(policies)) errors.push(`${FIELD}.policies: must be a list, got ${shown(policies)}`);
  else out.policies = policies.map((p, i) => readPolicy(p, `${FIELD}.policies[${i}]`, errors, warnings));
  // A policy without rules matches every ServiceEntry: the ones after it are never reached.
  const catchAll = out.policies.findIndex((p) => p.matchingRules.length === 0);
  if (catchAll >= 0 && catchAll < out.policies.length - 1) warnings.push(`${FIELD}.policies[${catchAll + 1}]: never applies: policies[${catchAll}] has no matchingRules and matches every ServiceEntry`);
  if (!out.applyToSidecars) warnings.push(`${FIELD}: not applied: applyToSidecars is not true, so istiod leaves it to ambient proxies, which mizzen does not have; sidecars see ServiceEntries as their exportTo says`);
  return out;
}

/** What a snapshot carries of the field: the policies resolved, when sidecars follow them; undefined otherwise. */
export function entryVisibilitySettings(v: ServiceEntryVisibility | undefined): EntryVisibilitySettings | undefined {
  if (!v?.applyToSidecars) return undefined;
  const resolved = (n: VisibilityName): EntryVisibility => (n === 'VISIBILITY_UNSPECIFIED' ? 'PUBLIC' : n);
  return {
    defaultVisibility: resolved(v.defaultVisibility),
    policies: v.policies.map((p) => ({ visibility: resolved(p.visibility), rules: p.matchingRules.map((r) => (r.namespaceSelector ? { namespaceSelector: structuredClone(r.namespaceSelector) } : {})) })),
  };
}
