/**
 * The bootstrap of a proxyless gRPC application (grpc-js-xds, grpc-go, grpc-java …): where the xDS server is,
 * and the node it speaks as. The node id has Istio's form so mizzen knows its namespace and IP; metadata
 * GENERATOR: grpc selects the gRPC generator; `server_listener_resource_name_template` lets xDS-enabled servers
 * ask for their inbound listener. gRPC requires `node.locality` (empty is fine) and at least one channel
 * credential it knows. Give it to the application as GRPC_XDS_BOOTSTRAP (a file) or GRPC_XDS_BOOTSTRAP_CONFIG
 * (the JSON itself).
 *
 * mTLS: with `certDir` (a directory written by `mizzen workload-cert`) the bootstrap declares a `file_watcher`
 * certificate provider instance named "default" that reads the workload certificate files and re-reads them
 * periodically. The security config mizzen's xDS sends names that instance, asking it for the certificate
 * "default" (this workload's identity) and "ROOTCA" (the mesh CA that peers are checked against), so the two
 * must agree on the instance name.
 *
 * The xDS connection is plaintext, unless `xdsTls`: then its channel credentials are gRFC A65's `tls`, with the same
 * files (the server's certificate checked against root-cert.pem for the host of `xdsAddress`, the workload certificate
 * presented). grpc-go and grpc-java take those; grpc-js-xds (1.14) knows only google_default and insecure and refuses
 * such a bootstrap. Pure.
 */
import { isIP } from 'node:net';
import { posix } from 'node:path';
import { DEFAULT_DOMAIN_SUFFIX, GrpcXds } from '../core/constants.js';
import { type Result, ok, fail } from '../core/result.js';
import { parseNode } from '../model/proxy.js';
import { WorkloadCertFiles } from '../certs/workload.js';

export interface GrpcBootstrapOptions {
  /** host:port of mizzen's xDS port as the application reaches it (plaintext 15010, or 15012 with xdsTls). */
  xdsAddress: string;
  /** A full node id (`sidecar~ip~pod.ns~ns.svc.cluster.local`); otherwise built from ip, pod and namespace. */
  nodeId?: string;
  ip?: string;
  pod?: string;
  namespace?: string;
  domainSuffix?: string;
  /** Workload labels (node metadata LABELS), used for sourceLabels matches. */
  labels?: Record<string, string>;
  /** More node metadata. */
  metadata?: Record<string, unknown>;
  locality?: { region?: string; zone?: string; sub_zone?: string };
  /** A workload certificate directory (cert-chain.pem, key.pem, root-cert.pem) as the application sees it: enables mTLS. */
  certDir?: string;
  /** Dial xDS over TLS with the certificate of `certDir` (gRFC A65 channel credentials); needs certDir. */
  xdsTls?: boolean;
}

/** How often the application re-reads the certificate files. */
const CERT_REFRESH = '900s';

/** The files of a workload certificate directory, in the form both the file_watcher plugin and A65's `tls` creds take. */
function certFiles(certDir: string): Record<string, string> {
  return {
    certificate_file: posix.join(certDir, WorkloadCertFiles.certChain),
    private_key_file: posix.join(certDir, WorkloadCertFiles.key),
    ca_certificate_file: posix.join(certDir, WorkloadCertFiles.root),
    refresh_interval: CERT_REFRESH,
  };
}

/** The `certificate_providers` entry for a workload certificate directory. */
export function fileWatcherProvider(certDir: string): Record<string, unknown> {
  return { [GrpcXds.certProviderInstance]: { plugin_name: 'file_watcher', config: certFiles(certDir) } };
}

const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** A node id in Istio's form for a gRPC workload. */
export function grpcNodeId(ip: string, pod: string, namespace: string, domainSuffix = DEFAULT_DOMAIN_SUFFIX): string {
  return `sidecar~${ip}~${pod}.${namespace}~${namespace}.svc.${domainSuffix}`;
}

export function grpcBootstrap(o: GrpcBootstrapOptions): Result<Record<string, unknown>> {
  const errors: string[] = [];
  const m = HOST_PORT.exec(o.xdsAddress);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) errors.push(`xdsAddress: "${o.xdsAddress}" must be host:port`);
  if (o.ip !== undefined && isIP(o.ip) === 0) errors.push(`ip: "${o.ip}" is not an IP address`);
  if (o.certDir !== undefined && o.certDir.trim() === '') errors.push('certDir: must not be empty');
  if (o.xdsTls && o.certDir === undefined) errors.push('xdsTls: needs certDir (the certificate it presents and the CA it checks the server with)');
  let namespace = o.namespace || 'default';
  if (o.nodeId !== undefined) {
    const parsed = parseNode({ id: o.nodeId, metadata: o.namespace ? { NAMESPACE: o.namespace } : {} });
    if (parsed.ok) namespace = parsed.value.namespace;
    else errors.push(...parsed.errors.map((e) => e.replace(/^node\.id/, 'nodeId')));
  }
  const nodeId = o.nodeId ?? grpcNodeId(o.ip ?? '127.0.0.1', o.pod ?? 'grpc-client', namespace, o.domainSuffix);
  if (errors.length > 0) return fail(...errors);
  return ok({
    xds_servers: [{ server_uri: o.xdsAddress, channel_creds: [o.xdsTls ? { type: 'tls', config: certFiles(o.certDir!) } : { type: 'insecure' }], server_features: ['xds_v3'] }],
    node: {
      id: nodeId,
      locality: o.locality ?? {},
      metadata: { ...o.metadata, GENERATOR: 'grpc', NAMESPACE: namespace, ...(o.labels && Object.keys(o.labels).length > 0 ? { LABELS: o.labels } : {}) },
    },
    server_listener_resource_name_template: GrpcXds.serverListenerTemplate,
    ...(o.certDir !== undefined ? { certificate_providers: fileWatcherProvider(o.certDir) } : {}),
  });
}
