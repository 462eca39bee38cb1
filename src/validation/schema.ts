/**
 * A small declarative schema layer: field → type (+ validator), walked uniformly so that unknown fields,
 * wrong types, enum values and required fields are reported with their path, the way a structural CRD
 * schema does. The walk also returns a sanitized copy (wrongly typed values dropped, null fields removed,
 * bad list items left as `undefined` so indices still line up), so semantic rules can trust the shapes.
 */
import { isObject } from '../core/object.js';

/** Accumulates problems as `path: message`. */
export class Issues {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  error(path: string, message: string): void {
    this.errors.push(path ? `${path}: ${message}` : message);
  }
  warn(path: string, message: string): void {
    this.warnings.push(path ? `${path}: ${message}` : message);
  }
}

/** A check run on a value that already has the right type. */
export type Check<T> = (value: T, path: string, issues: Issues) => void;

/** Sanitized JSON objects as semantic rules see them (types already checked by the schema). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export type Schema =
  | { type: 'string'; enum?: readonly string[]; minLength?: number; maxLength?: number; check?: Check<string> }
  | { type: 'int'; min: number; max: number; check?: Check<number> }
  | { type: 'number'; min?: number; max?: number; check?: Check<number> }
  | { type: 'bool' }
  | { type: 'list'; items: Schema; minItems?: number; maxItems?: number; check?: Check<unknown[]> }
  | { type: 'map'; values: Schema; key?: Check<string>; minProperties?: number; maxProperties?: number }
  | { type: 'object'; fields: Record<string, Schema>; required?: readonly string[]; atMostOne?: ReadonlyArray<readonly string[]> }
  | { type: 'any' };

export type ObjectSchema = Extract<Schema, { type: 'object' }>;

// ---- builders -------------------------------------------------------------------------------------------

export const str = (opts: Omit<Extract<Schema, { type: 'string' }>, 'type'> = {}): Schema => ({ type: 'string', ...opts });
export const strCheck = (check: Check<string>): Schema => ({ type: 'string', check });
export const enumOf = (...values: string[]): Schema => ({ type: 'string', enum: values });
export const int32 = (check?: Check<number>): Schema => ({ type: 'int', min: -2147483648, max: 2147483647, check });
export const uint32 = (check?: Check<number>): Schema => ({ type: 'int', min: 0, max: 4294967295, check });
export const int64 = (check?: Check<number>): Schema => ({ type: 'int', min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, check });
export const num = (opts: { min?: number; max?: number; check?: Check<number> } = {}): Schema => ({ type: 'number', ...opts });
export const bool: Schema = { type: 'bool' };
export const any: Schema = { type: 'any' };
export const list = (items: Schema, opts: { minItems?: number; maxItems?: number; check?: Check<unknown[]> } = {}): Schema => ({
  type: 'list',
  items,
  ...opts,
});
export const strList = (check?: Check<string>): Schema => list(str({ check }));
export const map = (values: Schema, opts: { key?: Check<string>; minProperties?: number; maxProperties?: number } = {}): Schema => ({
  type: 'map',
  values,
  ...opts,
});
export const strMap = (opts: { key?: Check<string>; value?: Check<string>; maxProperties?: number } = {}): Schema =>
  map(str({ check: opts.value }), { key: opts.key, maxProperties: opts.maxProperties });
/** A google.protobuf.Struct: a JSON object of any values (null ones too, as protobuf's JSON reads them). */
export const struct: Schema = { type: 'map', values: any };
export const obj = (
  fields: Record<string, Schema>,
  opts: { required?: readonly string[]; atMostOne?: ReadonlyArray<readonly string[]> } = {},
): ObjectSchema => ({ type: 'object', fields, ...opts });

// ---- the walk -------------------------------------------------------------------------------------------

export const isPlainObject = isObject;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

const WANT: Record<Schema['type'], string> = {
  string: 'a string',
  int: 'an integer',
  number: 'a number',
  bool: 'a boolean',
  list: 'a list',
  map: 'an object (map)',
  object: 'an object',
  any: 'a value',
};

function wrongType(schema: Schema, v: unknown, path: string, issues: Issues): undefined {
  issues.error(path, `must be ${WANT[schema.type]}, not ${typeName(v)}`);
  return undefined;
}

/** Sets an own property even for keys such as `__proto__` (user-supplied map keys must not touch prototypes). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** A new object with the first `n` of `keys` (already found valid and unchanged) copied from `o`. */
function copyKeys(o: Record<string, unknown>, keys: readonly string[], n: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let j = 0; j < n; j++) setOwn(out, keys[j]!, o[keys[j]!]);
  return out;
}

/**
 * Checks `value` against `schema`, reports problems under `path`, returns the sanitized value (undefined when
 * unusable). A value the walk keeps whole (the usual, valid case) is returned as is, not copied: the
 * sanitized tree shares it with the input, which nothing in validation mutates.
 */
export function walk(schema: Schema, value: unknown, path: string, issues: Issues): unknown {
  switch (schema.type) {
    case 'any':
      return value;
    case 'string': {
      if (typeof value !== 'string') return wrongType(schema, value, path, issues);
      if (schema.enum && !schema.enum.includes(value)) {
        issues.error(path, `unsupported value ${JSON.stringify(value)}, must be one of ${schema.enum.join(', ')}`);
        return undefined;
      }
      if (schema.minLength !== undefined && value.length < schema.minLength) {
        issues.error(path, schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`);
      }
      if (schema.maxLength !== undefined && value.length > schema.maxLength) issues.error(path, `must be at most ${schema.maxLength} characters`);
      schema.check?.(value, path, issues);
      return value;
    }
    case 'int': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return wrongType(schema, value, path, issues);
      if (value < schema.min || value > schema.max) {
        issues.error(path, `${value} is out of range (${schema.min}..${schema.max})`);
        return undefined;
      }
      schema.check?.(value, path, issues);
      return value;
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return wrongType(schema, value, path, issues);
      if ((schema.min !== undefined && value < schema.min) || (schema.max !== undefined && value > schema.max)) {
        issues.error(path, `${value} is out of range (${schema.min ?? '-inf'}..${schema.max ?? 'inf'})`);
        return undefined;
      }
      schema.check?.(value, path, issues);
      return value;
    }
    case 'bool':
      return typeof value === 'boolean' ? value : wrongType(schema, value, path, issues);
    case 'list': {
      if (!Array.isArray(value)) return wrongType(schema, value, path, issues);
      if (schema.minItems !== undefined && value.length < schema.minItems) issues.error(path, `must have at least ${schema.minItems} item(s)`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) issues.error(path, `must have at most ${schema.maxItems} items`);
      // Copy on the first difference: a valid list is returned as is (no allocation on the usual path).
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const p = `${path}[${i}]`;
        let w: unknown;
        if (item === null || item === undefined) issues.error(p, `must be ${WANT[schema.items.type]}, not null`);
        else w = walk(schema.items, item, p, issues);
        if (out === undefined && w !== item) out = value.slice(0, i);
        if (out !== undefined) out.push(w);
      }
      out ??= value;
      schema.check?.(out, path, issues);
      return out;
    }
    case 'map': {
      if (!isPlainObject(value)) return wrongType(schema, value, path, issues);
      const keys = Object.keys(value);
      if (schema.minProperties !== undefined && keys.length < schema.minProperties) issues.error(path, `must have at least ${schema.minProperties} entr${schema.minProperties === 1 ? 'y' : 'ies'}`);
      if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) issues.error(path, `must have at most ${schema.maxProperties} entries`);
      let out: Record<string, unknown> | undefined;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const p = `${path}[${k}]`;
        schema.key?.(k, p, issues);
        const v = value[k];
        let w: unknown;
        if (v === null && schema.values.type === 'any') w = v;
        else if (v === null || v === undefined) issues.error(p, `must be ${WANT[schema.values.type]}, not null`);
        else w = walk(schema.values, v, p, issues);
        if (out === undefined && (w !== v || w === undefined)) out = copyKeys(value, keys, i); // changed or dropped
        if (out !== undefined && w !== undefined) setOwn(out, k, w);
      }
      return out ?? value;
    }
    case 'object': {
      if (!isPlainObject(value)) return wrongType(schema, value, path, issues);
      const keys = Object.keys(value);
      let out: Record<string, unknown> | undefined;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const v = value[k];
        const p = path ? `${path}.${k}` : k;
        const field = Object.prototype.hasOwnProperty.call(schema.fields, k) ? schema.fields[k] : undefined;
        let w: unknown;
        if (!field) issues.error(p, 'unknown field');
        // null is "not set", as protobuf JSON and Kubernetes read it
        else if (v !== null && v !== undefined) w = walk(field, v, p, issues);
        if (out === undefined && (w !== v || w === undefined)) out = copyKeys(value, keys, i); // changed or dropped
        if (out !== undefined && w !== undefined) setOwn(out, k, w);
      }
      if (schema.required) {
        for (const r of schema.required) {
          const v = value[r];
          if (v === undefined || v === null) issues.error(path ? `${path}.${r}` : r, 'is required');
        }
      }
      if (schema.atMostOne) {
        for (const group of schema.atMostOne) {
          const set = group.filter((g) => value[g] !== undefined && value[g] !== null);
          if (set.length > 1) issues.error(path, `only one of ${group.join(', ')} may be set (found ${set.join(', ')})`);
        }
      }
      return out ?? value;
    }
  }
}

// ---- helpers for semantic rules ------------------------------------------------------------------------

/** Iterates a sanitized list, skipping items the schema already rejected. */
export function each<T = Obj>(list: unknown, fn: (item: T, index: number) => void): void {
  if (!Array.isArray(list)) return;
  list.forEach((item, i) => {
    if (item !== undefined && item !== null) fn(item as T, i);
  });
}

/** Entries of a sanitized map (empty when absent). */
export function entries<T = string>(m: unknown): Array<[string, T]> {
  return isPlainObject(m) ? (Object.entries(m) as Array<[string, T]>) : [];
}

export const has = (o: Obj | undefined, k: string): boolean => o !== undefined && o[k] !== undefined;
export const len = (v: unknown): number => (Array.isArray(v) ? v.length : isPlainObject(v) ? Object.keys(v).length : 0);
