/**
 * Istio's samples/bookinfo/gateway-api/bookinfo-gateway.yaml (the Gateway API way into Bookinfo), as objects in
 * namespace default: ../shared/samples/bookinfo has the Istio networking samples but not this one.
 */
import type { KubeObject } from '../../src/core/kube.js';
import { readDocuments } from '../../src/core/documents.js';
import { BOOKINFO_PLATFORM } from './samples.js';

const GW = 'gateway.networking.k8s.io';

export const bookinfoGateway: KubeObject = {
  apiVersion: `${GW}/v1`,
  kind: 'Gateway',
  metadata: { name: 'bookinfo-gateway', namespace: 'default' },
  spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }] },
};

export const bookinfoRoute: KubeObject = {
  apiVersion: `${GW}/v1`,
  kind: 'HTTPRoute',
  metadata: { name: 'bookinfo', namespace: 'default' },
  spec: {
    parentRefs: [{ name: 'bookinfo-gateway' }],
    rules: [
      {
        matches: [
          { path: { type: 'Exact', value: '/productpage' } },
          { path: { type: 'PathPrefix', value: '/static' } },
          { path: { type: 'Exact', value: '/login' } },
          { path: { type: 'Exact', value: '/logout' } },
          { path: { type: 'PathPrefix', value: '/api/v1/products' } },
        ],
        backendRefs: [{ name: 'productpage', port: 9080 }],
      },
    ],
  },
};

/** The Services of Bookinfo's platform/bookinfo.yaml (productpage is the route's backend), unchanged. */
export function bookinfoServices(): KubeObject[] {
  return readDocuments([`${BOOKINFO_PLATFORM}/bookinfo.yaml`])
    .map((d) => d.value as KubeObject)
    .filter((o) => o?.kind === 'Service');
}
