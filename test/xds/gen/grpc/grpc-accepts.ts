/**
 * Runs a generated resource through @grpc/grpc-js-xds's own decoding and validation (the code a real client runs
 * on every DiscoveryResponse), so a resource gRPC would NACK or silently drop fails here with gRPC's message.
 */
import { createRequire } from 'node:module';
import { encode } from '../../../../src/xds/proto.js';
import { TypeUrls } from '../../../../src/core/constants.js';

const require = createRequire(import.meta.url);
const base = '@grpc/grpc-js-xds/build/src/xds-resource-type';
(require('@grpc/grpc-js-xds') as { register(): void }).register();

interface ResourceType {
  get(): { decode(ctx: unknown, resource: { type_url: string; value: Buffer }): { name: string; value?: unknown; error?: string } };
}
const TYPES: Record<string, ResourceType> = {
  [TypeUrls.listener]: require(`${base}/listener-resource-type.js`).ListenerResourceType,
  [TypeUrls.route]: require(`${base}/route-config-resource-type.js`).RouteConfigurationResourceType,
  [TypeUrls.cluster]: require(`${base}/cluster-resource-type.js`).ClusterResourceType,
  [TypeUrls.endpoint]: require(`${base}/endpoint-resource-type.js`).EndpointResourceType,
};

const server = { serverUri: 'localhost:15010', channelCreds: [], serverFeatures: [] };
const CONTEXT = { server, bootstrap: { certificateProviders: {} } };
/** A client or server whose bootstrap has the certificate provider mizzen's mTLS resources name (`mizzen bootstrap --grpc --cert-dir`). */
const WITH_CERTIFICATES = { server, bootstrap: { certificateProviders: { default: { pluginName: 'file_watcher', config: {} } } } };

/** gRPC's verdict: the decoded value, or its validation error. `certificates`: the bootstrap has the `default` certificate provider. */
export function grpcDecode(typeUrl: string, resource: object, certificates = false): { name: string; value?: any; error?: string } {
  const type = TYPES[typeUrl];
  if (!type) throw new Error(`no gRPC resource type for ${typeUrl}`);
  return type.get().decode(certificates ? WITH_CERTIFICATES : CONTEXT, { type_url: typeUrl, value: Buffer.from(encode(typeUrl, resource)) });
}
