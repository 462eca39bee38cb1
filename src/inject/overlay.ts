/**
 * Custom injection: a pod that declares its own `istio-proxy` container (and carries no
 * sidecar.istio.io/status yet) has it laid over the injected one, field by field, as Istio's injector does with
 * a strategic merge, so that users can set the proxy's resources, extra mounts, a preStop hook... next to their
 * app. `image: auto` (or no image) keeps the injected image. The rules are the Container type's patch
 * strategies, except that a list item with the same key is replaced whole rather than merged (a merged
 * env entry with both `value` and `valueFrom`, or a probe with two handlers, is a pod the API server refuses):
 *   - env (by name), ports (by containerPort), volumeMounts (by mountPath), volumeDevices (by devicePath):
 *     items of the overlay replace the injected item with the same key, others are appended;
 *   - objects (resources, securityContext, probes, lifecycle...) merge key by key; a probe or hook handler
 *     set in the overlay replaces the injected one;
 *   - everything else (args, command, scalars, other lists) is replaced.
 * Pure.
 */
import { setOwn } from './template.js';
import { isObject } from '../core/object.js';

const AUTO_IMAGE = 'auto';

const LIST_KEYS: ReadonlyMap<string, string> = new Map([
  ['env', 'name'],
  ['ports', 'containerPort'],
  ['volumeMounts', 'mountPath'],
  ['volumeDevices', 'devicePath'],
]);
/** The handler fields of a probe or lifecycle hook: one of them at a time. */
const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'];

type Obj = Record<string, unknown>;
/** obj[k] when obj has it itself (never a prototype's property, for keys like __proto__ or constructor). */
const own = (obj: Obj, k: string): unknown => (Object.prototype.hasOwnProperty.call(obj, k) ? obj[k] : undefined);

function mergeObjects(base: Obj, over: Obj): Obj {
  const out: Obj = {};
  const handlerSet = HANDLERS.some((h) => isObject(over[h]));
  for (const k of Object.keys(base)) if (!(handlerSet && HANDLERS.includes(k))) setOwn(out, k, base[k]);
  for (const k of Object.keys(over)) {
    const v = over[k];
    if (v === null || v === undefined) continue; // as a Go struct would carry it: absent
    const base = own(out, k);
    setOwn(out, k, isObject(v) && isObject(base) ? mergeObjects(base, v) : v);
  }
  return out;
}

function mergeList(base: unknown[], over: unknown[], key: string): unknown[] {
  const out = [...base];
  for (const item of over) {
    const i = out.findIndex((b) => isObject(b) && isObject(item) && b[key] === item[key]);
    if (i >= 0) out[i] = item;
    else out.push(item);
  }
  return out;
}

/** The problems of an overlay that the merge cannot take (paths relative to the container). */
export function checkOverlay(overlay: Obj): string[] {
  const errors: string[] = [];
  for (const [field, key] of LIST_KEYS) {
    const v = overlay[field];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) {
      errors.push(`${field}: must be a list`);
      continue;
    }
    v.forEach((item, i) => {
      if (!isObject(item) || item[key] === undefined) errors.push(`${field}[${i}].${key}: required`);
    });
  }
  if (overlay.image !== undefined && overlay.image !== null && typeof overlay.image !== 'string') errors.push('image: must be a string');
  return errors;
}

/** The injected container with the user's fields laid over it (a new object; neither input is changed). */
export function overlayContainer(injected: Obj, overlay: Obj): Obj {
  const out: Obj = {};
  for (const k of Object.keys(injected)) setOwn(out, k, injected[k]);
  for (const k of Object.keys(overlay)) {
    const v = overlay[k];
    if (v === null || v === undefined || k === 'name') continue;
    if (k === 'image' && (v === AUTO_IMAGE || v === '')) continue;
    const listKey = LIST_KEYS.get(k);
    const base = own(out, k);
    if (listKey !== undefined && Array.isArray(v) && Array.isArray(base)) setOwn(out, k, mergeList(base, v, listKey));
    else if (isObject(v) && isObject(base)) setOwn(out, k, mergeObjects(base, v));
    else setOwn(out, k, v);
  }
  return out;
}

/** The uid the proxy runs as when the overlay sets one (not 0: iptables cannot exempt root's traffic). */
export function overlayUid(overlay: Obj): number | undefined {
  const sc = overlay.securityContext;
  const uid = isObject(sc) ? sc.runAsUser : undefined;
  return typeof uid === 'number' && Number.isInteger(uid) && uid > 0 ? uid : undefined;
}

/** The pod's own istio-proxy container, laid over the injected one: where it is and its fields. */
export interface Override {
  list: 'containers' | 'initContainers';
  index: number;
  fields: Obj;
}

/**
 * Finds the pod's own istio-proxy (the first, in containers then initContainers), with the problems of its fields
 * (errors name the field); undefined, allocating nothing, for the usual pod that has none.
 */
export function findOverride(spec: Obj, proxyName: string): (Override & { errors: string[] }) | undefined {
  for (const list of ['containers', 'initContainers'] as const) {
    const items = spec[list];
    if (!Array.isArray(items)) continue;
    for (let index = 0; index < items.length; index++) {
      const c: unknown = items[index];
      if (!isObject(c) || c.name !== proxyName) continue;
      return { list, index, fields: c, errors: checkOverlay(c).map((e) => `spec.${list}[${index}].${e}`) };
    }
  }
  return undefined;
}
