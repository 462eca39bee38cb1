/**
 * The JSON Patch (RFC 6902) of an injection, written straight from what the injector added, as JSON text:
 * no diff of the whole pod and no serialization of operation objects. Injection only sets or removes keys
 * of metadata.labels / metadata.annotations, replaces probes of application containers (probes.ts), removes the
 * pod's own istio-proxy (which it lays over the injected one) and adds items at the end (or the front) of
 * spec.containers / initContainers / volumes, or at the end of an application container's env (proxyless gRPC),
 * so these are all the operations there are. The webhook sends the text as is; tests check that applying it to
 * the original pod gives the injected pod. Pure.
 */
import { escapePointerToken } from '../admission/patch.js';
import { oneByte } from '../core/one-byte.js';
import { isObject } from '../core/object.js';

/** What injectPodAs added to a pod (values are those of the injected pod; list items as their JSON text). */
export interface Additions {
  labels: Record<string, unknown>;
  annotations: Record<string, unknown>;
  /** Annotation keys removed (present in the original). */
  removedAnnotations: string[];
  containers: string[];
  initContainers: string[];
  volumes: string[];
  /** The lists whose added items go in front of the existing ones (in their order), not after them. */
  first?: { containers?: boolean; initContainers?: boolean };
  /** An item removed (by index in the original) before the additions: the pod's own istio-proxy. */
  removed?: { list: 'containers' | 'initContainers'; index: number };
  /** Env items (JSON texts) added at the end of the env of application containers, by index. */
  env?: Array<{ index: number; items: string[] }>;
  /** Probes of application containers replaced (probes.ts), by index in the original, the new probe as JSON text. */
  probes?: Array<{ index: number; field: string; json: string }>;
}


/**
 * A JSON pointer as a JSON string, memoized: the keys injection sets are always the same few constants,
 * and looking up a constant (whose hash V8 keeps) is cheaper than escaping and serializing it again.
 */
const pointers = new Map<string, Map<string, string>>();
function pointer(parent: string, key: string): string {
  let byKey = pointers.get(parent);
  if (byKey === undefined) pointers.set(parent, (byKey = new Map()));
  let text = byKey.get(key);
  if (text === undefined) {
    text = oneByte(JSON.stringify(`${parent}/${escapePointerToken(key)}`));
    if (byKey.size >= 256) byKey.clear();
    byKey.set(key, text);
  }
  return text;
}

/** Keys set on (or removed from) a map; the whole map is added when the original has none (absent or null). */
function mapOps(ops: string[], path: string, original: unknown, added: Record<string, unknown>, removed: string[]): void {
  if (!isObject(original)) {
    ops.push(`{"op":"add","path":"${path}","value":${JSON.stringify(added)}}`);
    return;
  }
  for (const k of removed) ops.push(`{"op":"remove","path":${pointer(path, k)}}`);
  // `add` on an existing member replaces it (RFC 6902 §4.1), so one form serves new and changed keys.
  for (const k in added) ops.push(`{"op":"add","path":${pointer(path, k)},"value":${JSON.stringify(added[k])}}`);
}

/**
 * Items (JSON texts) added to a list, after its items or, with `first`, before them (`add` at an index inserts
 * there); the whole list is added when the original has none (absent or null).
 */
function listOps(ops: string[], path: string, original: unknown, added: string[], first = false): void {
  if (added.length === 0) return;
  if (!Array.isArray(original)) {
    ops.push(`{"op":"add","path":"${path}","value":[${added.join(',')}]}`);
    return;
  }
  added.forEach((item, i) => ops.push(`{"op":"add","path":"${path}/${first ? i : '-'}","value":${item}}`));
}

interface PodLike {
  metadata: { labels?: unknown; annotations?: unknown };
  spec?: unknown;
}

/** The patch that applies what injection added to `original`: a JSON array of operations. */
export function additionsPatch(original: PodLike, add: Additions): string {
  const ops: string[] = [];
  const spec = (isObject(original.spec) ? original.spec : {}) as Record<string, unknown>;
  mapOps(ops, '/metadata/labels', original.metadata.labels, add.labels, []);
  mapOps(ops, '/metadata/annotations', original.metadata.annotations, add.annotations, add.removedAnnotations);
  // Before any item is removed or added, while the indexes are the original's.
  if (add.probes) for (const p of add.probes) ops.push(`{"op":"replace","path":"/spec/containers/${p.index}/${p.field}","value":${p.json}}`);
  if (add.removed) ops.push(`{"op":"remove","path":"/spec/${add.removed.list}/${add.removed.index}"}`);
  listOps(ops, '/spec/containers', spec.containers, add.containers, add.first?.containers);
  listOps(ops, '/spec/initContainers', spec.initContainers, add.initContainers, add.first?.initContainers);
  listOps(ops, '/spec/volumes', spec.volumes, add.volumes);
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  for (const e of add.env ?? []) listOps(ops, `/spec/containers/${e.index}/env`, (containers[e.index] as { env?: unknown } | undefined)?.env, e.items);
  if (ops.length === 0) return '[]';
  // One join, so the text is flat (base64 and UTF-8 length of a concatenation are slow paths in V8).
  ops[0] = `[${ops[0]}`;
  ops[ops.length - 1] = `${ops[ops.length - 1]}]`;
  return ops.join(',');
}
