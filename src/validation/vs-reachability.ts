/**
 * Rules and matches of one VirtualService that no request can reach, as Istio's validation reports them
 * (VirtualServiceUnreachableRule, VirtualServiceIneffectiveMatch): a rule after a rule without matches (which takes
 * everything), a match that repeats an earlier one, and, for HTTP, a match that an earlier match covers (every
 * request it matches, the earlier one matched first: a uri prefix /api before /api/v1 with the same other
 * conditions). A rule all of whose matches are repeated or covered is never used. Envoy tries a virtual host's
 * routes in order, so these rules change nothing. The validator warns with these notes and `mizzen analyze` reports
 * them as IST0130 / IST0131. Pure.
 */

export interface ReachabilityNote {
  /** `rule`: the whole rule is never used (IST0130); `match`: one of its matches is not (IST0131). */
  kind: 'rule' | 'match';
  /** `spec.http[2]` or `spec.http[2].match[0]`. */
  path: string;
  message: string;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Istio names a rule by its quoted name (HTTP rules only), else by `#<index>`. */
const ruleName = (rule: Rec, i: number): string => (typeof rule.name === 'string' && rule.name ? JSON.stringify(rule.name) : `#${i}`);
const matchName = (match: Rec, j: number): string => (typeof match.name === 'string' && match.name ? JSON.stringify(match.name) : `#${j}`);

export function reachabilityNotes(spec: unknown): ReachabilityNote[] {
  if (!isRec(spec)) return [];
  return [...sectionNotes(spec.http, 'spec.http', true), ...sectionNotes(spec.tls, 'spec.tls', false), ...sectionNotes(spec.tcp, 'spec.tcp', false)];
}

function sectionNotes(routes: unknown, base: string, http: boolean): ReachabilityNote[] {
  if (!Array.isArray(routes)) return [];
  const out: ReachabilityNote[] = [];
  const earlier: Array<{ match: Rec; key: string; rule: number; ruleLabel: string; matchLabel: string }> = [];
  let catchAll: { index: number; label: string } | undefined;
  routes.forEach((raw, i) => {
    if (!isRec(raw)) return;
    const label = ruleName(http ? raw : {}, i);
    const matches = Array.isArray(raw.match) ? raw.match.filter(isRec) : [];
    if (matches.length === 0) {
      if (catchAll) out.push({ kind: 'rule', path: `${base}[${i}]`, message: `rule ${label} is never used: rule ${catchAll.label} before it has no match and takes every request; only the last rule may have none` });
      else catchAll = { index: i, label };
      return;
    }
    if (catchAll) {
      out.push({ kind: 'rule', path: `${base}[${i}]`, message: `rule ${label} is never used: rule ${catchAll.label} before it has no match and takes every request` });
      return;
    }
    let unused = 0;
    matches.forEach((m, j) => {
      const key = matchKey(m);
      const path = `${base}[${i}].match[${j}]`;
      const mLabel = matchName(http ? m : {}, j);
      const same = earlier.find((e) => e.key === key);
      if (same) {
        unused++;
        out.push({ kind: 'match', path, message: `match ${mLabel} of rule ${label} is never used: it repeats match ${same.matchLabel} of rule ${same.ruleLabel}` });
        return;
      }
      const cover = http ? earlier.find((e) => coversHttp(e.match, m)) : undefined;
      if (cover) {
        unused++;
        out.push({ kind: 'match', path, message: `match ${mLabel} of rule ${label} is never used: match ${cover.matchLabel} of rule ${cover.ruleLabel} comes first and takes every request it matches` });
      }
      earlier.push({ match: m, key, rule: i, ruleLabel: label, matchLabel: mLabel });
    });
    if (unused === matches.length) out.push({ kind: 'rule', path: `${base}[${i}]`, message: `rule ${label} is never used: earlier rules take every request its matches match` });
  });
  return out;
}

/** A match's routing conditions as a stable string (its name aside). */
function matchKey(m: Rec): string {
  const { name: _name, ...rest } = m;
  return stableJson(rest);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isRec(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Fields of an HTTP match that do not decide which requests it matches. */
const NOT_MATCHING = new Set(['name', 'statPrefix']);

/**
 * Does every request `b` matches also match `a`? Only what can be shown is said: each condition of `a` must follow
 * from one of `b` (an exact value or prefix under `a`'s prefix, the same regex, the same port, labels, gateways...);
 * a condition this cannot reason about (a regex against a prefix, an unknown field) counts as not covered.
 */
export function coversHttp(a: Rec, b: Rec): boolean {
  for (const [field, cond] of Object.entries(a)) {
    if (NOT_MATCHING.has(field) || cond === undefined || cond === null) continue;
    const other = b[field];
    switch (field) {
      case 'uri':
        if (!uriImplies(a, b)) return false;
        break;
      case 'ignoreUriCase':
        break; // read with uri
      case 'scheme':
      case 'method':
      case 'authority':
        if (!stringImplies(cond, other, false)) return false;
        break;
      case 'headers':
      case 'queryParams':
        for (const [k, c] of Object.entries(rec(cond))) if (!isRec(other) || !(k in other) || !presenceImplies(c, other[k])) return false;
        break;
      case 'withoutHeaders':
        if (!isRec(cond)) break;
        for (const [k, c] of Object.entries(cond)) if (!isRec(other) || !(k in other) || stableJson(c) !== stableJson(other[k])) return false;
        break;
      case 'port':
        if (cond !== 0 && cond !== other) return false;
        break;
      case 'sourceLabels':
        if (!isRec(cond)) break;
        for (const [k, v] of Object.entries(cond)) if (!isRec(other) || other[k] !== v) return false;
        break;
      case 'gateways': {
        const want = Array.isArray(cond) ? cond : [];
        if (want.length === 0) break;
        const got = Array.isArray(other) ? other : [];
        if (got.length === 0 || !got.every((g) => want.includes(g))) return false;
        break;
      }
      default:
        if (stableJson(cond) !== stableJson(other)) return false;
    }
  }
  return true;
}

const rec = (v: unknown): Rec => (isRec(v) ? v : {});

function uriImplies(a: Rec, b: Rec): boolean {
  if (!isRec(a.uri) || Object.keys(a.uri).length === 0) return true;
  const aFold = a.ignoreUriCase === true;
  const bFold = b.ignoreUriCase === true;
  // b matching without regard to case takes requests a case-sensitive a does not.
  if (bFold && !aFold) return false;
  return stringImplies(a.uri, b.uri, aFold);
}

/** A header or query parameter condition: an empty one asks only that the key be present. */
function presenceImplies(a: unknown, b: unknown): boolean {
  if (!isRec(a) || Object.keys(a).length === 0) return true;
  return stringImplies(a, b, false);
}

/** Does every value StringMatch `b` accepts also satisfy `a`? (`fold`: `a` compares without regard to case.) */
function stringImplies(a: unknown, b: unknown, fold: boolean): boolean {
  if (!isRec(a)) return true;
  if (!isRec(b)) return false;
  const norm = (s: string): string => (fold ? s.toLowerCase() : s);
  const bValue = typeof b.exact === 'string' ? b.exact : typeof b.prefix === 'string' ? b.prefix : undefined;
  if (typeof a.exact === 'string') return typeof b.exact === 'string' && norm(b.exact) === norm(a.exact);
  if (typeof a.prefix === 'string') return bValue !== undefined && norm(bValue).startsWith(norm(a.prefix));
  if (typeof a.regex === 'string') return typeof b.regex === 'string' && b.regex === a.regex;
  return stableJson(a) === stableJson(b);
}
