/** The Bookinfo-like backends the real-client tests share, and the samples read unchanged from disk. */
import { readFileSync } from 'node:fs';
import { parseDocuments } from '../../../src/core/documents.js';
import type { KubeObject } from '../../../src/core/kube.js';
import type { BackendPlan } from '../../support/mesh.js';
import { BOOKINFO_NETWORKING } from '../../support/samples.js';

export const SAMPLES = BOOKINFO_NETWORKING;

export function sample(...files: string[]): KubeObject[] {
  return files.flatMap((f) => parseDocuments(readFileSync(`${SAMPLES}/${f}`, 'utf8'), f).map((d) => d.value as KubeObject));
}

export const BOOKINFO: BackendPlan[] = [
  { service: 'reviews', version: 'v1', ip: '127.0.0.11' },
  { service: 'reviews', version: 'v2', ip: '127.0.0.12' },
  { service: 'reviews', version: 'v3', ip: '127.0.0.13' },
  { service: 'ratings', version: 'v1', ip: '127.0.0.21' },
];

export const REVIEWS = 'reviews.default.svc.cluster.local:9080';
export const RATINGS = 'ratings.default.svc.cluster.local:9080';

/** Share of `n` in `total`, in percent. */
export const pct = (n: number | undefined, total: number): number => ((n ?? 0) * 100) / total;
