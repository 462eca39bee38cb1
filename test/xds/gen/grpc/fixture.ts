/** A small Bookinfo-like mesh for the gRPC generator tests: Services, Pods on 127.0.0.x, the Bookinfo DRs and VSs. */
import { readFileSync } from 'node:fs';
import { parseDocuments } from '../../../../src/core/documents.js';
import type { KubeObject } from '../../../../src/core/kube.js';
import { buildSnapshot } from '../../../../src/model/snapshot.js';
import { parseNode } from '../../../../src/model/proxy.js';
import type { Proxy } from '../../../../src/model/proxy.js';
import type { Snapshot } from '../../../../src/model/types.js';
import { kubePod, kubeService } from '../../../../src/demo/objects.js';
import { BOOKINFO_NETWORKING } from '../../../support/samples.js';

export const SAMPLES = BOOKINFO_NETWORKING;

export function sample(file: string): KubeObject[] {
  return parseDocuments(readFileSync(`${SAMPLES}/${file}`, 'utf8'), file).map((d) => d.value as KubeObject);
}

export function yaml(text: string): KubeObject[] {
  return parseDocuments(text).map((d) => d.value as KubeObject);
}

export const REVIEWS = 'reviews.default.svc.cluster.local';
export const RATINGS = 'ratings.default.svc.cluster.local';

export function meshObjects(): KubeObject[] {
  return [
    kubeService({ name: 'reviews', port: 9080, targetPort: 50051 }),
    kubeService({ name: 'ratings', port: 9080, targetPort: 50051 }),
    kubeService({ name: 'details', port: 9080 }),
    kubePod({ name: 'reviews-v1', ip: '127.0.0.11', app: 'reviews', version: 'v1' }),
    kubePod({ name: 'reviews-v2', ip: '127.0.0.12', app: 'reviews', version: 'v2', labels: { 'topology.kubernetes.io/region': 'eu', 'topology.kubernetes.io/zone': 'eu-1' } }),
    kubePod({ name: 'reviews-v3', ip: '127.0.0.13', app: 'reviews', version: 'v3' }),
    kubePod({ name: 'reviews-v3b', ip: '127.0.0.14', app: 'reviews', version: 'v3', ready: false }),
    kubePod({ name: 'ratings-v1', ip: '127.0.0.21', app: 'ratings', version: 'v1' }),
    kubePod({ name: 'details-v1', ip: '127.0.0.31', app: 'details', version: 'v1' }),
    ...sample('destination-rule-all.yaml'),
  ];
}

export function snapshot(extra: KubeObject[] = [], base = meshObjects()): Snapshot {
  return buildSnapshot([...base, ...extra], { domainSuffix: 'cluster.local' });
}

export function grpcNode(namespace = 'default', labels: Record<string, string> = {}): Proxy {
  const r = parseNode({ id: `sidecar~127.0.0.2~client.${namespace}~${namespace}.svc.cluster.local`, metadata: { GENERATOR: 'grpc', NAMESPACE: namespace, LABELS: labels } });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}
