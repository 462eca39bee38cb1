/**
 * Kubernetes' strategic merge patch (what `kubectl patch` sends by default), applied locally: the patch is merged
 * into a copy of the object, guided by the patch metadata of the object's kind (strategic-merge-schemas.ts holds
 * the patchMergeKey / patchStrategy tags of the kinds that need them). What it does, as apimachinery's strategicpatch:
 *
 * - maps merge key by key, recursively; `null` removes a key; a value of another type (or a key the object lacks)
 *   is taken as the patch has it, less its nulls and any map that carries a `$patch` directive;
 * - lists whose field has a merge key (containers by `name`, Service ports by `port`…) merge item by item: a patch
 *   item with the key of an existing item is merged into it, one without a match is added; a list of scalars with
 *   the merge strategy (finalizers) is a union. The result keeps Kubernetes' order: the patch's items in the patch's
 *   order, the object's other items each placed before the first patch item that followed it in the object (so an
 *   item the object lacked comes before the object's items that the patch does not name);
 * - every other list, and a map whose field says `replace` (a PodDisruptionBudget's selector), is replaced whole;
 * - directives: `$patch: replace` (a map: the patch's map instead; a list item: the patch's other items instead of
 *   the list), `$patch: delete` (a map: emptied; a list item: the object's items with its merge key removed) and
 *   `$retainKeys` (the map keeps only the keys listed; the patch may set no other). `$setElementOrder/…` and
 *   `$deleteFromPrimitiveList/…` (which kubectl generates, people do not write) are refused, as is any other `$` key.
 *
 * Pure: the inputs are not changed. Expected failures are values whose messages name the patch's field.
 */
import { type Result, fail, ok } from './result.js';
import { isObject } from './object.js';

type Obj = Record<string, unknown>;

/** How a strategic merge patch treats the value of one field. */
export interface FieldMeta {
  /** The value is a list merged item by item (patchStrategy merge): by this key for maps; a set union for scalars (no key). */
  list?: { key?: string };
  /** The value, a map, is replaced whole (patchStrategy replace). */
  replace?: boolean;
  /** The fields of the value: of the map, or of each map in the list. */
  fields?: PatchSchema;
}

/** The patch metadata of a map's fields (those not named merge maps and replace lists: the defaults). */
export type PatchSchema = Readonly<Record<string, FieldMeta>>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
/** What `settled` says of a value that is itself a directive, to be left out. */
const DROP = Symbol('drop');

const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
type Shape = 'map' | 'list' | 'null' | 'string' | 'number' | 'boolean' | 'other';
function shape(v: unknown): Shape {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (isObject(v)) return 'map';
  const t = typeof v;
  return t === 'string' || t === 'number' || t === 'boolean' ? t : 'other';
}

/** The object `original` with `patch` merged in as a strategic merge patch of a kind whose metadata is `schema`. */
export function strategicMerge(original: Obj, patch: Obj, schema: PatchSchema): Result<Obj> {
  const refused = unsupportedDirectives(patch, '');
  if (refused.length > 0) return { ok: false, errors: refused };
  return mergeMap(structuredClone(original), structuredClone(patch), schema, '');
}

/** The `$` keys the patch holds that this implementation does not apply (with where they are). */
function unsupportedDirectives(v: unknown, path: string): string[] {
  if (Array.isArray(v)) return v.flatMap((item, i) => unsupportedDirectives(item, `${path}[${i}]`));
  if (!isObject(v)) return [];
  return Object.entries(v).flatMap(([k, child]) => {
    if (!k.startsWith('$')) return unsupportedDirectives(child, at(path, k));
    if (k === DIRECTIVE) return typeof child === 'string' ? [] : [`${at(path, k)}: must be replace or delete, not ${show(child)}`];
    if (k === RETAIN_KEYS) return Array.isArray(child) && child.every((x) => typeof x === 'string') ? [] : [`${at(path, k)}: must be a list of field names`];
    if (k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/')) {
      return [`${at(path, k)}: the ${k.slice(0, k.indexOf('/'))} directive is not supported (kubectl generates it; write the list as it should be merged)`];
    }
    return [`${at(path, k)}: unknown directive (supported: $patch, $retainKeys)`];
  });
}

/** A patch value the object did not have, as it lands in the result: no nulls, no map that carries `$patch`, no `$retainKeys`. */
function settled(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(settled).filter((x) => x !== DROP);
  if (!isObject(v)) return v;
  if (DIRECTIVE in v) return DROP;
  const out: Obj = {};
  for (const [k, child] of Object.entries(v)) {
    if (child === null || k === RETAIN_KEYS) continue;
    const s = settled(child);
    if (s !== DROP) out[k] = s;
  }
  return out;
}

function mergeMap(original: Obj, patch: Obj, schema: PatchSchema | undefined, path: string): Result<Obj> {
  if (DIRECTIVE in patch) {
    const directive = patch[DIRECTIVE];
    if (directive === 'delete') return ok({});
    if (directive !== 'replace') return fail(`${at(path, DIRECTIVE)}: ${show(directive)} is not a directive for a map (replace or delete)`);
    const { [DIRECTIVE]: _, ...rest } = patch;
    return ok(settled(rest) as Obj);
  }
  const out: Obj = { ...original };
  const retain = patch[RETAIN_KEYS] as string[] | undefined;
  if (retain) {
    const extra = Object.keys(patch).filter((k) => k !== RETAIN_KEYS && patch[k] !== null && !retain.includes(k));
    if (extra.length > 0) return fail(`${at(path, RETAIN_KEYS)}: the patch sets ${extra.join(', ')}, which it does not list`);
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  for (const [k, pv] of Object.entries(patch)) {
    if (k === RETAIN_KEYS) continue;
    if (pv === null) {
      delete out[k];
      continue;
    }
    const ov = out[k];
    const meta = schema?.[k];
    const p = at(path, k);
    if (ov === undefined || shape(ov) !== shape(pv)) {
      const s = settled(pv);
      if (s === DROP) delete out[k];
      else out[k] = s;
    } else if (shape(pv) === 'map') {
      if (meta?.replace) {
        const s = settled(pv);
        if (s === DROP) delete out[k];
        else out[k] = s;
        continue;
      }
      const r = mergeMap(ov as Obj, pv as Obj, meta?.fields, p);
      if (!r.ok) return r;
      out[k] = r.value;
    } else if (shape(pv) === 'list') {
      if (!meta?.list) {
        out[k] = settled(pv);
        continue;
      }
      const r = mergeList(ov as unknown[], pv as unknown[], meta, p);
      if (!r.ok) return r;
      out[k] = r.value;
    } else out[k] = pv;
  }
  return ok(out);
}

/** A list with the merge strategy: items by merge key (maps) or as a set (scalars), then Kubernetes' order. */
function mergeList(original: unknown[], patch: unknown[], meta: FieldMeta, path: string): Result<unknown[]> {
  if (original.length === 0 && patch.length === 0) return ok(original);
  const shapes = new Set([...original, ...patch].map(shape));
  if (shapes.size > 1 || shapes.has('list')) return fail(`${path}: the list and the patch's list mix items of different types (${[...shapes].join(', ')})`);
  if (!shapes.has('map')) {
    const merged = [...new Set([...original, ...patch])];
    return ok(ordered(merged, patch, original, (x) => x));
  }
  const key = meta.list?.key;
  if (!key) return fail(`${path}: a list of maps without a merge key cannot be merged`);
  let server = original as Obj[];
  const plain: Array<[number, Obj]> = [];
  let replace = false;
  for (const [i, item] of (patch as Obj[]).entries()) {
    if (!(DIRECTIVE in item)) {
      plain.push([i, item]);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'replace') replace = true;
    else if (directive === 'delete') {
      if (!(key in item)) return fail(`${path}[${i}]: $patch: delete needs the merge key ${key} of the item to delete`);
      server = server.filter((o) => o[key] !== item[key]);
    } else return fail(`${path}[${i}]: ${show(directive)} is not a directive for a list item (replace or delete)`);
  }
  if (replace) return ok(plain.map(([, item]) => settled(item)).filter((x) => x !== DROP));
  const merged = [...server];
  for (const [i, item] of plain) {
    if (!(key in item)) return fail(`${path}[${i}]: has no ${key}, the key this list merges by`);
    const found = merged.findIndex((o) => o[key] === item[key]);
    if (found < 0) {
      merged.push(settled(item) as Obj);
      continue;
    }
    const r = mergeMap(merged[found]!, item, meta.fields, `${path}[${i}]`);
    if (!r.ok) return r;
    merged[found] = r.value;
  }
  if (merged.some((o) => !(key in o))) return fail(`${path}: an item of the object's list has no ${key}, the key this list merges by`);
  return ok(ordered(merged, plain.map(([, item]) => item), server, (o) => (o as Obj)[key]));
}

/**
 * Kubernetes' order of a merged list: the items the patch names, in the patch's order, with the others (in the
 * object's order) each put before the first patch item that came after it in the object.
 */
function ordered<T>(merged: readonly T[], patch: readonly unknown[], server: readonly unknown[], id: (x: unknown) => unknown): T[] {
  const indexIn = (list: readonly unknown[], x: unknown): number => list.findIndex((y) => id(y) === id(x));
  const named = merged.filter((x) => indexIn(patch, x) >= 0).sort((a, b) => indexIn(patch, a) - indexIn(patch, b));
  const others = merged.filter((x) => indexIn(patch, x) < 0).sort((a, b) => indexIn(server, a) - indexIn(server, b));
  const out: T[] = [];
  let [i, j] = [0, 0];
  while (i < others.length || j < named.length) {
    if (j >= named.length) out.push(others[i++]!);
    else if (i >= others.length) out.push(named[j++]!);
    else {
      const [si, sj] = [indexIn(server, others[i]), indexIn(server, named[j])];
      out.push(si >= 0 && sj >= 0 && si < sj ? others[i++]! : named[j++]!);
    }
  }
  return out;
}
