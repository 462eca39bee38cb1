/**
 * Envoy configuration written by users (an EnvoyFilter's patch values) in protobuf's JSON form, read as protobuf's
 * JSON parser reads it: field names in camelCase or snake_case, Durations as "1.5s", wrapper types as bare values,
 * Structs as plain JSON, Any as `{ "@type": url, ...fields }`. The result has the form the generators write
 * (snake_case names, `{ value }`, `{ seconds, nanos }`, `{ fields }`), so it merges into generated resources and
 * encodes like them. Fields the type lacks are dropped with a warning; wrong types, two members of one oneof and Any
 * types no shipped proto defines are errors. A scalar equal to its default is dropped, as protobuf does for fields
 * without presence: merging it changes nothing, encoding it writes nothing.
 */
import protobuf from 'protobufjs';
import { findType } from './proto.js';
import { isObject } from '../core/object.js';
import { parseDuration } from '../validation/common.js';

type Json = Record<string, any>;

/** A finding at a path like value.filters[0].typed_config. */
export interface EnvoyJsonIssue {
  path: string;
  message: string;
}

export interface EnvoyJson {
  value: Json;
  errors: EnvoyJsonIssue[];
  warnings: EnvoyJsonIssue[];
}

const WRAPPERS = new Set(['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((w) => `google.protobuf.${w}Value`));
const lowerCamel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const nameOf = (t: protobuf.Type): string => t.fullName.replace(/^\./, '');

/** A type's fields by proto name and by JSON (lowerCamel) name. */
const fieldIndex = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();
function fieldByKey(type: protobuf.Type, key: string): protobuf.Field | undefined {
  let index = fieldIndex.get(type);
  if (!index) {
    index = new Map();
    for (const f of type.fieldsArray) {
      index.set(f.name, f);
      index.set(lowerCamel(f.name), f);
    }
    fieldIndex.set(type, index);
  }
  return index.get(key);
}

class Reader {
  readonly errors: EnvoyJsonIssue[] = [];
  readonly warnings: EnvoyJsonIssue[] = [];

  message(type: protobuf.Type, v: unknown, path: string): Json | undefined {
    const name = nameOf(type);
    const special = this.wellKnown(name, v, path);
    if (special !== null) return special;
    if (WRAPPERS.has(name)) {
      const inner = this.scalar(type.fields.value!, v, path);
      return inner === undefined ? undefined : isDefault(type.fields.value!, inner) ? {} : { value: inner };
    }
    if (!isObject(v)) return this.fail(path, `expected an object (${name})`);
    const out: Json = {};
    const oneofs = new Map<string, string>();
    for (const [key, raw] of Object.entries(v)) {
      const field = fieldByKey(type, key);
      if (!field) {
        this.warnings.push({ path, message: `${name} has no field "${key}"; ignored` });
        continue;
      }
      if (raw === null && field.resolvedType?.fullName !== '.google.protobuf.Value') continue;
      const oneof = field.partOf;
      if (oneof && oneof.oneof.length > 1) {
        const other = oneofs.get(oneof.name);
        if (other !== undefined) this.fail(path, `${other} and ${field.name} are both set, but only one of the oneof ${oneof.name} may be`);
        oneofs.set(oneof.name, field.name);
      }
      const value = this.field(field, raw, `${path}.${key}`);
      if (value !== undefined) out[field.name] = value;
    }
    return out;
  }

  private field(field: protobuf.Field, v: unknown, path: string): unknown {
    if (field.map) {
      if (!isObject(v)) return this.fail(path, 'expected an object (a map)');
      const out: Json = {};
      for (const [k, x] of Object.entries(v)) {
        const value = this.single(field, x, `${path}.${k}`, true);
        if (value !== undefined) out[k] = value;
      }
      return out;
    }
    if (field.repeated) {
      if (!Array.isArray(v)) return this.fail(path, 'expected a list');
      const out: unknown[] = [];
      v.forEach((x, i) => {
        const value = this.single(field, x, `${path}[${i}]`, true);
        if (value !== undefined) out.push(value);
      });
      return out;
    }
    return this.single(field, v, path, field.partOf !== null && field.partOf !== undefined);
  }

  /** One value of a field; `keepDefault` for list and map entries and fields with presence. */
  private single(field: protobuf.Field, v: unknown, path: string, keepDefault: boolean): unknown {
    const t = field.resolvedType;
    if (t instanceof protobuf.Type) return this.message(t, v, path);
    const value = t instanceof protobuf.Enum ? this.enumValue(t, v, path) : this.scalar(field, v, path);
    return value === undefined || (!keepDefault && isDefault(field, value)) ? undefined : value;
  }

  private enumValue(e: protobuf.Enum, v: unknown, path: string): string | number | undefined {
    if (typeof v === 'string' && v in e.values) return v;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    // A name of a newer Envoy than the shipped protos cannot be encoded: left out, and said so.
    if (typeof v === 'string' && /^[A-Z][A-Z0-9_]*$/.test(v)) {
      this.warnings.push({ path, message: `${v} is not a value of ${nameOf(e as unknown as protobuf.Type)} in the Envoy protos mizzen ships (${Object.keys(e.values).join(', ')}); left out` });
      return undefined;
    }
    return this.fail(path, `expected one of ${Object.keys(e.values).join(', ')}`);
  }

  private scalar(field: protobuf.Field, v: unknown, path: string): unknown {
    switch (field.type) {
      case 'string':
        return typeof v === 'string' ? v : this.fail(path, 'expected a string');
      case 'bool':
        return typeof v === 'boolean' ? v : this.fail(path, 'expected true or false');
      case 'bytes':
        return typeof v === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v) ? v : this.fail(path, 'expected base64 text');
      case 'double':
      case 'float':
        if (typeof v === 'number') return v;
        if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
        if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
        return this.fail(path, 'expected a number');
      default: {
        // Integers: JSON numbers, or decimal text (64-bit ones are written as text).
        const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
        if (!Number.isInteger(n)) return this.fail(path, 'expected a whole number');
        const unsigned = field.type.startsWith('u') || field.type === 'fixed32' || field.type === 'fixed64';
        if (unsigned && n < 0) return this.fail(path, 'expected a whole number that is not negative');
        const bits32 = field.type.endsWith('32');
        if (bits32 && (unsigned ? n > 0xffffffff : n < -0x80000000 || n > 0x7fffffff)) return this.fail(path, `out of range for ${field.type}`);
        return n;
      }
    }
  }

  /** The JSON forms of protobuf's well-known types; null when `name` is not one of them. */
  private wellKnown(name: string, v: unknown, path: string): Json | undefined | null {
    switch (name) {
      case 'google.protobuf.Any':
        return this.any(v, path);
      case 'google.protobuf.Duration':
      case 'google.protobuf.Timestamp': {
        if (isObject(v) && Object.keys(v).every((k) => k === 'seconds' || k === 'nanos')) return { ...v };
        const parsed = name.endsWith('Duration') ? durationOf(v) : parseTimestamp(v);
        return parsed ?? this.fail(path, name.endsWith('Duration') ? 'expected a duration like "1.5s"' : 'expected an RFC 3339 time');
      }
      case 'google.protobuf.Struct':
        return isObject(v) ? structOf(v) : this.fail(path, 'expected an object (a Struct)');
      case 'google.protobuf.Value':
        return valueOf(v);
      case 'google.protobuf.ListValue':
        return Array.isArray(v) ? { values: v.map(valueOf) } : this.fail(path, 'expected a list');
      case 'google.protobuf.FieldMask':
        return typeof v === 'string' ? { paths: v === '' ? [] : v.split(',').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) } : this.fail(path, 'expected text (a FieldMask)');
      case 'google.protobuf.Empty':
        return isObject(v) ? {} : this.fail(path, 'expected an object');
      default:
        return null;
    }
  }

  private any(v: unknown, path: string): Json | undefined {
    if (!isObject(v)) return this.fail(path, 'expected an object with "@type"');
    const url = v['@type'];
    if (typeof url !== 'string' || !url.includes('/')) return this.fail(path, '"@type" must be a type URL like type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua');
    // The shipped protos still hold some of Envoy's v2 API, which Envoy no longer accepts.
    if (/\/envoy\.(.+\.)?v2(alpha\d*)?\./.test(url)) return this.fail(path, `${url} is of Envoy's v2 API, which Envoy no longer accepts: use its v3 type`);
    const type = findType(url);
    if (!type) return this.fail(path, `unknown type ${url}: no Envoy, xDS or Google proto that mizzen ships defines it`);
    const { ['@type']: _url, ...fields } = v;
    const wellKnown = nameOf(type).startsWith('google.protobuf.') ? this.message(type, fields.value, `${path}.value`) : this.message(type, fields, path);
    return wellKnown === undefined ? undefined : { '@type': url, ...wellKnown };
  }

  private fail(path: string, message: string): undefined {
    this.errors.push({ path, message });
    return undefined;
  }
}

function isDefault(field: protobuf.Field, v: unknown): boolean {
  if (field.resolvedType instanceof protobuf.Enum) return v === 0 || field.resolvedType.values[v as string] === 0;
  return v === 0 || v === '' || v === false;
}

/** protobuf's "1.5s", and Go's "500ms" / "1h30m" (Istio reads EnvoyFilter values with Go's duration parser). */
function durationOf(v: unknown): Json | undefined {
  const ns = typeof v === 'string' ? parseDuration(v) : undefined;
  return ns === undefined ? undefined : { seconds: Number(ns / 1_000_000_000n), nanos: Number(ns % 1_000_000_000n) };
}

function parseTimestamp(v: unknown): Json | undefined {
  if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.test(v)) return undefined;
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) return undefined;
  const frac = /\.(\d{1,9})/.exec(v)?.[1] ?? '';
  return { seconds: Math.floor(ms / 1000), nanos: Number(frac.padEnd(9, '0')) };
}

const structOf = (o: Json): Json => ({ fields: Object.fromEntries(Object.entries(o).map(([k, x]) => [k, valueOf(x)])) });

function valueOf(v: unknown): Json {
  if (v === null || v === undefined) return { null_value: 'NULL_VALUE' };
  if (typeof v === 'number') return { number_value: v };
  if (typeof v === 'string') return { string_value: v };
  if (typeof v === 'boolean') return { bool_value: v };
  if (Array.isArray(v)) return { list_value: { values: v.map(valueOf) } };
  return { struct_value: structOf(v as Json) };
}

/** Reads `input` as the JSON form of `typeName` (a full name or type URL). Never throws. */
export function fromEnvoyJson(typeName: string, input: unknown, path: string): EnvoyJson {
  const reader = new Reader();
  const type = findType(typeName);
  if (!type) return { value: {}, errors: [{ path, message: `unknown type ${typeName}` }], warnings: [] };
  const value = reader.message(type, input, path);
  return { value: value ?? {}, errors: reader.errors, warnings: reader.warnings };
}

/**
 * Names of the filters (any message with a `typed_config` field) in `value`, a message of `typeName` in the
 * generators' form, that set neither typed_config nor config_discovery: Envoy finds extensions by name only behind
 * a flag it is removing, as Istio's webhook warns.
 */
export function filtersWithoutTypedConfig(typeName: string, value: Json): string[] {
  const out: string[] = [];
  const walk = (type: protobuf.Type, v: Json): void => {
    if (type.fields.typed_config && v.typed_config === undefined && v.config_discovery === undefined) out.push(typeof v.name === 'string' && v.name ? v.name : nameOf(type));
    for (const [key, x] of Object.entries(v)) {
      const t = type.fields[key]?.resolvedType;
      if (!(t instanceof protobuf.Type) || t.fullName.startsWith('.google.protobuf.')) continue;
      for (const item of Array.isArray(x) ? x : type.fields[key]!.map && isObject(x) ? Object.values(x) : [x]) if (isObject(item)) walk(t, item);
    }
  };
  const type = findType(typeName);
  if (type) walk(type, value);
  return out;
}
