/**
 * The proxyless gRPC generator (nodes with metadata GENERATOR: grpc): resources of one type for one node.
 * gRPC clients subscribe by name, so `names` decides what is generated (LDS must echo the names as asked);
 * undefined (a wildcard subscription) means every visible service port. Pure.
 */
import type { Snapshot } from '../../../model/types.js';
import type { Proxy } from '../../../model/proxy.js';
import type { NamedResource } from '../index.js';
import { TypeUrls } from '../../../core/constants.js';
import { grpcListeners } from './listeners.js';
import { grpcRoutes } from './routes.js';
import { grpcClusters } from './clusters.js';
import { grpcEndpoints } from './endpoints.js';

export function generateGrpc(snap: Snapshot, proxy: Proxy, typeUrl: string, names?: readonly string[]): NamedResource[] {
  switch (typeUrl) {
    case TypeUrls.listener:
      return grpcListeners(snap, proxy, names);
    case TypeUrls.route:
      return grpcRoutes(snap, proxy, names);
    case TypeUrls.cluster:
      return grpcClusters(snap, proxy, names);
    case TypeUrls.endpoint:
      return grpcEndpoints(snap, proxy, names);
    default:
      return [];
  }
}
