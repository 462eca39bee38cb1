/**
 * Gateway API status conditions as mizzen writes them (gateway-api-status.ts, gateway-api-backendtls-status.ts):
 * each with the object's observedGeneration, and the transition time kept while its status does not change. Pure.
 */
import type { KubeObject } from '../core/kube.js';
import { asArray, asObject } from './selectors.js';

type Json = Record<string, any>;

/** Istio's controller names: mizzen answers for the classes, parents and ancestors Istio would. */
export const GATEWAY_CONTROLLER = 'istio.io/gateway-controller';
export const MESH_CONTROLLER = 'istio.io/mesh-controller';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** Conditions with observedGeneration, and the transition time of the same condition before when its status is unchanged. */
export function conditions(list: readonly Condition[], generation: number | undefined, before: unknown, now: string): Json[] {
  const old = new Map(asArray(before).map((c) => [asObject(c).type, asObject(c)] as const));
  return list.map((c) => {
    const prev = old.get(c.type);
    const time = prev && prev.status === c.status && typeof prev.lastTransitionTime === 'string' ? prev.lastTransitionTime : now;
    return { ...c, ...(generation !== undefined ? { observedGeneration: generation } : {}), lastTransitionTime: time };
  });
}

export const ok = (type: string, reason = type, message = ''): Condition => ({ type, status: 'True', reason, message });
export const no = (type: string, reason: string, message: string): Condition => ({ type, status: 'False', reason, message });
export const generationOf = (o: KubeObject): number | undefined => (typeof o.metadata.generation === 'number' ? o.metadata.generation : undefined);
