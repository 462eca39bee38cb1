/** What a kind's validator receives: its sanitized spec and where the object lives. */
import type { Issues, Obj } from './schema.js';

export interface KindContext {
  name?: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Semantic rules of one kind, run on the spec after the schema walk (types already checked). */
export type KindValidator = (spec: Obj, ctx: KindContext, issues: Issues) => void;
