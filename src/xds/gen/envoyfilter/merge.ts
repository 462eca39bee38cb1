/**
 * Protobuf's merge, over the generators' plain form (envoy-json.ts reads patch values into that form), as istiod
 * merges an EnvoyFilter's MERGE value into a generated resource: scalars and bytes are replaced, messages merged
 * field by field, lists appended (replaced with MERGE_AND_REPLACE_LIST), map entries replaced by key; setting one
 * member of a oneof clears the others. Durations and Any are replaced whole, as Go's merge treats them (an Any's
 * bytes are opaque to it); mergeAny() is the deeper merge istiod applies to a filter's own typed_config.
 */
import protobuf from 'protobufjs';
import { findType } from '../../proto.js';
import type { Json } from '../common.js';
import { isObject } from './lists.js';

const REPLACED = new Set(['.google.protobuf.Duration', '.google.protobuf.Any']);

/** Merges `src` into `dst` (both of `type`; `dst` is changed). */
export function mergeMessage(type: protobuf.Type, dst: Json, src: Json, replaceLists = false): void {
  for (const [key, value] of Object.entries(src)) {
    const field = type.fields[key];
    if (!field) continue;
    const oneof = field.partOf;
    if (oneof && oneof.oneof.length > 1) for (const other of oneof.oneof) if (other !== key) delete dst[other];
    const current = dst[key];
    const fieldType = field.resolvedType;
    if (field.map) dst[key] = { ...(isObject(current) ? current : {}), ...structuredClone(value) };
    else if (field.repeated) dst[key] = [...(replaceLists || !Array.isArray(current) ? [] : current), ...structuredClone(value as unknown[])];
    else if (fieldType instanceof protobuf.Type && !REPLACED.has(fieldType.fullName) && isObject(current)) mergeMessage(fieldType, current, value as Json, replaceLists);
    else dst[key] = structuredClone(value);
  }
}

/**
 * Merges two Any values of one type as messages of that type (istiod's MergeAnyWithAny); false, and `dst`
 * unchanged, when their types differ or are unknown.
 */
export function mergeAny(dst: Json, src: Json): boolean {
  const url = dst['@type'];
  if (typeof url !== 'string' || url !== src['@type']) return false;
  const type = findType(url);
  if (!type) return false;
  const { ['@type']: _url, ...fields } = src;
  mergeMessage(type, dst, fields);
  return true;
}
