/**
 * What istiod does with a patch on a list of siblings (listener filters, network filters, HTTP filters, routes):
 * ADD appends; INSERT_FIRST prepends; INSERT_BEFORE / INSERT_AFTER place the value next to the first element the
 * match names (without a name: first / last); REPLACE swaps the first element named; REMOVE drops every element
 * named. REPLACE and REMOVE without a name in the match change nothing.
 */
import type { Json } from '../common.js';
import { isObject as isPlainObject } from '../../../core/object.js';
import type { Operation, PatchContext, Patch } from './patches.js';

/** core/object.ts's isObject, typed for the generators' plain form. */
export const isObject = (v: unknown): v is Json => isPlainObject(v);
/** Whether a match field is set: a non-empty string or a non-zero number (proto3's unset values are '' and 0). */
export const given = (v: unknown): v is string | number => (typeof v === 'string' && v !== '') || (typeof v === 'number' && v !== 0);
export const isMerge = (op: Operation): boolean => op === 'MERGE' || op === 'MERGE_AND_REPLACE_LIST';
export const contextMatches = (p: Patch, ctx: PatchContext): boolean => p.context === 'ANY' || p.context === ctx;
/** A fresh copy of a patch value (values are shared by every proxy the patch applies to). */
export const copyOf = (p: Patch): Json => structuredClone(p.value ?? {});

/** Applies a list operation other than MERGE; `named`: the match names an element, `matches` tells which. */
export function applyListOp(list: Json[], p: Patch, named: boolean, matches: (e: Json) => boolean): Json[] {
  const at = named ? list.findIndex(matches) : -1;
  switch (p.operation) {
    case 'ADD':
      return [...list, copyOf(p)];
    case 'INSERT_FIRST':
      return [copyOf(p), ...list];
    case 'INSERT_BEFORE':
      if (!named) return [copyOf(p), ...list];
      return at < 0 ? list : [...list.slice(0, at), copyOf(p), ...list.slice(at)];
    case 'INSERT_AFTER':
      if (!named) return [...list, copyOf(p)];
      return at < 0 ? list : [...list.slice(0, at + 1), copyOf(p), ...list.slice(at + 1)];
    case 'REPLACE':
      return at < 0 ? list : [...list.slice(0, at), copyOf(p), ...list.slice(at + 1)];
    case 'REMOVE':
      return named ? list.filter((e) => !matches(e)) : list;
    default:
      return list;
  }
}
