/**
 * A protoc-gen-validate checker: walks a message against the `(validate.rules)` field options and
 * `(validate.required)` oneof options of Envoy's protos, as Envoy does before accepting a resource, so a
 * configuration Envoy would NACK is caught before it is sent. It also reports fields the type does not have
 * (protobufjs' fromObject drops them silently, so a typo would otherwise vanish).
 *
 * Pure: takes the protobufjs Root (src/xds/proto.ts envoyRoot()) and a plain object (snake_case fields, Any as
 * `{ '@type': url, ... }`) or a protobufjs message; returns violations as `path: rule`.
 */
import protobuf from 'protobufjs';
import { RE2JS } from 're2js';
import { checkBytes, checkNumber, checkString, type Rules } from './pgv-rules.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** Every `(validate.rules)` entry of an option list merged into one object. */
function rulesOf(parsed: unknown): Rules | undefined {
  if (!Array.isArray(parsed)) return undefined;
  let out: Rules | undefined;
  for (const o of parsed) {
    const r = (o as Obj)['(validate.rules)'];
    if (isObj(r)) out = deepMerge(out ?? {}, r);
  }
  return out;
}

/** Rule fields that are lists; the proto text may give one by a single value (`not_in: 0`), or repeat it. */
const LIST_RULES = new Set(['in', 'not_in']);

function deepMerge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (LIST_RULES.has(k)) out[k] = [...(Array.isArray(out[k]) ? out[k] : out[k] === undefined ? [] : [out[k]]), ...(Array.isArray(v) ? v : [v])];
    else out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Obj, v) : isObj(v) ? deepMerge({}, v) : v;
  }
  return out;
}

const hasOption = (parsed: unknown, name: string): boolean => Array.isArray(parsed) && parsed.some((o) => (o as Obj)[name] === true);

const SKIPPED_TYPES = new Set(['google.protobuf.Struct', 'google.protobuf.Value', 'google.protobuf.ListValue', 'google.protobuf.Empty', 'google.protobuf.FieldMask']);
const WRAPPERS = new Set(['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map((n) => `google.protobuf.${n}`));

const typeName = (t: protobuf.Type): string => t.fullName.replace(/^\./, '');

class Checker {
  readonly out: string[] = [];
  constructor(private readonly root: protobuf.Root) {}

  private add(path: string, rule: string): void {
    this.out.push(`${path || '<root>'}: ${rule}`);
  }

  /** A message value of type `t` at `path`. */
  message(t: protobuf.Type, value: unknown, path: string): void {
    const name = typeName(t);
    if (SKIPPED_TYPES.has(name)) return;
    if (name === 'google.protobuf.Any') return this.any(value, path);
    if (name === 'google.protobuf.Duration' || name === 'google.protobuf.Timestamp') {
      if (typeof value === 'string' || isObj(value)) return;
      return this.add(path, `expected ${name}`);
    }
    if (!isObj(value)) {
      if (WRAPPERS.has(name) && value !== null && typeof value !== 'object') return; // JSON form of a wrapper
      return this.add(path, `expected message ${name}`);
    }
    if (hasOption(t.parsedOptions, '(validate.disabled)') || hasOption(t.parsedOptions, '(validate.ignored)')) return;
    const obj = value;
    for (const key of Object.keys(obj)) {
      if (obj[key] === undefined) continue;
      if (!t.fields[key] && !camelMatch(t, key)) this.add(join(path, key), 'unknown field');
    }
    const present = (f: protobuf.Field): boolean => fieldValue(obj, f) !== undefined && fieldValue(obj, f) !== null;
    for (const oneof of t.oneofsArray) {
      const set = oneof.fieldsArray.filter(present);
      if (set.length > 1) this.add(path, `oneof ${oneof.name}: more than one of ${set.map((f) => f.name).join(', ')} set`);
      if (set.length === 0 && hasOption(oneof.parsedOptions, '(validate.required)')) this.add(path, `oneof ${oneof.name}: one of ${oneof.fieldsArray.map((f) => f.name).join(', ')} is required`);
    }
    for (const f of t.fieldsArray) {
      const v = fieldValue(obj, f);
      const inOneof = !!f.partOf;
      if ((v === undefined || v === null) && inOneof) continue; // only the set member of a oneof is validated
      this.field(f, v, join(path, f.name));
    }
  }

  private field(f: protobuf.Field, v: unknown, path: string): void {
    let rules = fieldRules.get(f);
    if (rules === undefined) {
      f.resolve();
      rules = rulesOf(f.parsedOptions) ?? null;
      fieldRules.set(f, rules);
    }
    if (rules === null) rules = undefined;
    if (f instanceof protobuf.MapField) return this.map(f, v, path, rules);
    if (f.repeated) {
      if (v === undefined || v === null) v = [];
      if (!Array.isArray(v)) return this.add(path, 'expected a list');
      const rr = rules?.repeated as Rules | undefined;
      if (rr && !(rr.ignore_empty && v.length === 0)) {
        if (rr.min_items !== undefined && v.length < Number(rr.min_items)) this.add(path, `repeated.min_items = ${rr.min_items} (has ${v.length})`);
        if (rr.max_items !== undefined && v.length > Number(rr.max_items)) this.add(path, `repeated.max_items = ${rr.max_items} (has ${v.length})`);
        if (rr.unique && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) this.add(path, 'repeated.unique');
      }
      v.forEach((item, i) => this.single(f, item, `${path}[${i}]`, rr?.items as Rules | undefined, true));
      return;
    }
    this.single(f, v, path, rules, false);
  }

  /** One value of field `f` (a scalar, enum or message) under `rules`. */
  private single(f: protobuf.Field, v: unknown, path: string, rules: Rules | undefined, element: boolean): void {
    const rt = f.resolvedType;
    const implicit = !element && !f.partOf && !(f.options?.proto3_optional === true);
    if (rt instanceof protobuf.Type) {
      const set = v !== undefined && v !== null;
      const msgRules = rules?.message as Rules | undefined;
      if (!set) {
        if (msgRules?.required || (rules?.duration as Rules | undefined)?.required || (rules?.any as Rules | undefined)?.required || (rules?.timestamp as Rules | undefined)?.required) this.add(path, 'message.required');
        return;
      }
      this.typedRules(rt, v, path, rules);
      if (!msgRules?.skip) this.message(rt, v, path);
      return;
    }
    if (rt instanceof protobuf.Enum) {
      if (v === undefined || v === null) {
        if (!implicit) return;
        v = 0;
      }
      const num = typeof v === 'number' ? v : typeof v === 'string' ? rt.values[v] : undefined;
      if (num === undefined) return this.add(path, `unknown ${rt.name} value ${JSON.stringify(v)}`);
      const er = rules?.enum as Rules | undefined;
      if (!er) return;
      if (er.defined_only && !Object.values(rt.values).includes(num)) this.add(path, `enum.defined_only (${num})`);
      checkNumber(er, num, (rule) => this.add(path, `enum.${rule}`));
      return;
    }
    if (v === undefined || v === null) {
      if (!implicit) return;
      v = defaultOf(f.type);
    }
    this.scalar(f.type, v, path, rules);
  }

  private scalar(type: string, v: unknown, path: string, rules: Rules | undefined): void {
    const emit = (rule: string): void => this.add(path, rule);
    if (type === 'string') {
      if (typeof v !== 'string') return emit('expected a string');
      if (rules?.string) checkString(rules.string as Rules, v, (rule) => emit(`string.${rule}`), pattern);
      return;
    }
    if (type === 'bytes') {
      if (rules?.bytes) checkBytes(rules.bytes as Rules, v, (rule) => emit(`bytes.${rule}`));
      return;
    }
    if (type === 'bool') {
      if (typeof v !== 'boolean') return emit('expected a boolean');
      const br = rules?.bool as Rules | undefined;
      if (br && br.const !== undefined && br.const !== v) emit(`bool.const = ${br.const}`);
      return;
    }
    const n = toNumber(v);
    if (n === undefined) return emit(`expected a number (${type})`);
    const r = rules?.[type] as Rules | undefined;
    if (r) checkNumber(r, n, (rule) => emit(`${type}.${rule}`));
  }

  /** Rules on well-known message types: durations, Any type URLs, wrappers' scalar rules. */
  private typedRules(t: protobuf.Type, v: unknown, path: string, rules: Rules | undefined): void {
    if (!rules) return;
    const name = typeName(t);
    if (name === 'google.protobuf.Duration' && rules.duration) {
      const ns = durationNanos(v);
      if (ns === undefined) return this.add(path, 'duration: malformed');
      const dr = rules.duration as Rules;
      const conv: Rules = {};
      for (const k of ['const', 'lt', 'lte', 'gt', 'gte']) if (dr[k] !== undefined) conv[k] = durationNanos(dr[k]) ?? 0;
      for (const k of ['in', 'not_in']) if (Array.isArray(dr[k])) conv[k] = (dr[k] as unknown[]).map((x) => durationNanos(x) ?? 0);
      checkNumber(conv, ns, (rule) => this.add(path, `duration.${rule.replace(/-?\d+(\.\d+)?/g, (m) => `${Number(m) / 1e9}s`)}`));
      return;
    }
    if (name === 'google.protobuf.Any' && rules.any) {
      const ar = rules.any as Rules;
      const url = isObj(v) ? (v['@type'] ?? v.type_url) : undefined;
      if (Array.isArray(ar.in) && !ar.in.includes(url)) this.add(path, `any.in (${String(url)})`);
      if (Array.isArray(ar.not_in) && ar.not_in.includes(url)) this.add(path, `any.not_in (${String(url)})`);
      return;
    }
    if (WRAPPERS.has(name)) {
      const inner = isObj(v) ? v.value : v;
      const scalarType = (t.fields.value as protobuf.Field).type;
      const kind = Object.keys(rules).find((k) => k !== 'message');
      if (kind && inner !== undefined && inner !== null) this.scalar(scalarType, inner, path, rules);
    }
  }

  private map(f: protobuf.MapField, v: unknown, path: string, rules: Rules | undefined): void {
    if (v === undefined || v === null) v = {};
    if (!isObj(v)) return this.add(path, 'expected a map');
    const entries = Object.entries(v);
    const mr = rules?.map as Rules | undefined;
    if (mr && !(mr.ignore_empty && entries.length === 0)) {
      if (mr.min_pairs !== undefined && entries.length < Number(mr.min_pairs)) this.add(path, `map.min_pairs = ${mr.min_pairs} (has ${entries.length})`);
      if (mr.max_pairs !== undefined && entries.length > Number(mr.max_pairs)) this.add(path, `map.max_pairs = ${mr.max_pairs} (has ${entries.length})`);
    }
    for (const [k, val] of entries) {
      const p = `${path}[${JSON.stringify(k)}]`;
      if (mr?.keys) this.scalar(f.keyType, f.keyType === 'string' ? k : Number(k), p, mr.keys as Rules);
      const vr = mr?.values as Rules | undefined;
      if (f.resolvedType instanceof protobuf.Type) {
        if (val === undefined || val === null) {
          if ((vr?.message as Rules | undefined)?.required) this.add(p, 'message.required');
          continue;
        }
        this.typedRules(f.resolvedType, val, p, vr);
        this.message(f.resolvedType, val, p);
      } else if (!(f.resolvedType instanceof protobuf.Enum)) this.scalar(f.type, val, p, vr);
    }
  }

  /** google.protobuf.Any: `{ '@type', ...fields }` (plain) or `{ type_url, value }` (message/bytes). */
  private any(value: unknown, path: string): void {
    if (!isObj(value)) return this.add(path, 'expected google.protobuf.Any');
    const url = (value['@type'] ?? value.type_url) as unknown;
    if (typeof url !== 'string' || url === '') return this.add(path, 'Any without @type');
    let t: protobuf.Type;
    try {
      t = this.root.lookupType(url.slice(url.lastIndexOf('/') + 1));
    } catch {
      return this.add(path, `Any of unknown type ${url}`);
    }
    if ('@type' in value) {
      const { '@type': _t, ...rest } = value;
      return this.message(t, rest, path);
    }
    if (value.value instanceof Uint8Array) {
      try {
        this.message(t, t.toObject(t.decode(value.value), { enums: String, longs: Number, json: true }), path);
      } catch (e) {
        this.add(path, `Any does not decode as ${url}: ${(e as Error).message}`);
      }
    }
  }
}

/** Parsed rules per field (protobufjs fields are immutable once the root is resolved). */
const fieldRules = new WeakMap<protobuf.Field, Rules | null>();

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/** A JSON (lowerCamelCase) field name of `t`. */
function camelMatch(t: protobuf.Type, key: string): boolean {
  const snake = key.replace(/[A-Z0-9]/g, (c) => `_${c.toLowerCase()}`);
  return snake !== key && (!!t.fields[snake] || t.fieldsArray.some((f) => f.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()) === key));
}

function fieldValue(obj: Obj, f: protobuf.Field): unknown {
  if (obj[f.name] !== undefined) return obj[f.name];
  const camel = f.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  return obj[camel];
}

function defaultOf(type: string): unknown {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'bytes') return new Uint8Array();
  return 0;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (isObj(v) && typeof v.low === 'number' && typeof v.high === 'number') return Number(v.high) * 4294967296 + (Number(v.low) >>> 0);
  return undefined;
}

/** A Duration (`{seconds, nanos}`, `"1.5s"`) in nanoseconds. */
export function durationNanos(v: unknown): number | undefined {
  if (typeof v === 'string') {
    const m = /^(-?\d+(?:\.\d+)?)s$/.exec(v);
    return m ? Math.round(Number(m[1]) * 1e9) : undefined;
  }
  if (!isObj(v)) return undefined;
  const s = toNumber(v.seconds ?? 0);
  const n = toNumber(v.nanos ?? 0);
  return s === undefined || n === undefined ? undefined : s * 1e9 + n;
}

const compiled = new Map<string, RE2JS>();
/** RE2 search (unanchored), as PGV's Go code uses regexp.MatchString. */
function pattern(re: string, s: string): boolean {
  let c = compiled.get(re);
  if (!c) {
    c = RE2JS.compile(re);
    compiled.set(re, c);
  }
  return c.matcher(s).find();
}

/**
 * Violations of Envoy's validate rules in `message` (type name or URL `typeNameOrUrl`), as `path: rule`.
 * Empty when Envoy's own validation would accept it.
 */
export function checkPgv(root: protobuf.Root, typeNameOrUrl: string, message: unknown): string[] {
  const t = root.lookupType(typeNameOrUrl.slice(typeNameOrUrl.lastIndexOf('/') + 1));
  const c = new Checker(root);
  let value = message;
  if (message instanceof protobuf.Message) value = t.toObject(message, { enums: String, longs: Number, json: true });
  c.message(t, value, '');
  return c.out;
}
