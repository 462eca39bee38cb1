/**
 * `mizzen bootstrap`: prints the bootstrap a proxy starts from, as JSON on stdout.
 *   --node ID            Istio node id (`sidecar~10.0.0.1~reviews-v1-x.default~default.svc.cluster.local`)
 *   --grpc               the proxyless gRPC bootstrap (GRPC_XDS_BOOTSTRAP) instead of Envoy's
 *   --cert-dir DIR       mesh mTLS with the certificates of a `mizzen workload-cert` directory
 *   --xds-tls            dial xDS over TLS (15012) and present that directory's certificate there
 *   --access-log-service HOST:PORT   Envoy: the envoy_accesslog_service cluster (enableEnvoyAccessLogService)
 *   --tracing-service-name MODE      Envoy: how node.cluster is named from --labels (ProxyConfig tracingServiceName)
 * Bad flags exit 2 naming the flag.
 */
import { isIP } from 'node:net';
import { parseFlags, withUsage, UsageError } from './args.js';
import { Defaults, MeshCerts, Ports, WorkloadCertFiles } from '../core/constants.js';
import { grpcBootstrap } from '../bootstrap/grpc.js';
import { certDirXdsTls, certMetadata, envoyBootstrap, parseHostPort } from '../bootstrap/envoy.js';
import { parseNode } from '../model/proxy.js';
import { isDns1123Subdomain } from '../validation/common.js';
import { addressIssue } from '../config/remote-service.js';
import { TRACING_SERVICE_NAMES, serviceCluster, type TracingServiceName } from '../bootstrap/service-cluster.js';

/** The xDS service's name, which the certificate of xDS over TLS always carries. */
const XDS_SERVICE = `${Defaults.serviceName}.${Defaults.controlPlaneNamespace}.svc`;
const DEFAULT_XDS = `${XDS_SERVICE}:${Ports.xdsPlaintext}`;
const DEFAULT_XDS_TLS = `${XDS_SERVICE}:${Ports.xdsTls}`;

const HELP = `usage: mizzen bootstrap --node ID [--grpc] [flags]

Prints the bootstrap JSON of a proxy that gets its configuration from mizzen.

  --node ID                 node id, Istio's form: sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local
                            (with --grpc it may be left out: built from --ip, --pod, --namespace)
  --grpc                    bootstrap for a proxyless gRPC application (grpc-js-xds, grpc-go, grpc-java):
                            give it to the application as GRPC_XDS_BOOTSTRAP (file) or GRPC_XDS_BOOTSTRAP_CONFIG
  --xds-address HOST:PORT   mizzen's xDS address as the proxy reaches it
                            (default ${DEFAULT_XDS}, with --xds-tls ${DEFAULT_XDS_TLS})
  --namespace NS            the workload's namespace (default: from the node id)
  --labels k=v,k=v          the workload's labels (node metadata LABELS)
  --ip IP, --pod NAME       for --grpc without --node
  --cert-dir DIR            mesh mTLS with the workload certificate in DIR (from 'mizzen workload-cert'), DIR as
                            the proxy sees it: for --grpc a file_watcher certificate provider, for Envoy the node
                            metadata that names the files (TLS_SERVER_CERT_CHAIN …; an absolute path)
  --xds-tls                 dial xDS over TLS (${Ports.xdsTls}) and present the certificate of --cert-dir there, as sidecars
                            of the mTLS install do: the server is checked against DIR/${WorkloadCertFiles.root}; mizzen takes the
                            certificate's SPIFFE id as the proxy's identity (refused if its namespace is not the node's).
                            Envoy reads the certificate through DIR/${MeshCerts.xdsClientFile}, the file-based SDS config that
                            'mizzen workload-cert --out DIR' writes, and re-reads it when a file of DIR is replaced.
                            With --grpc: gRFC A65 'tls' channel credentials, taken by grpc-go and grpc-java;
                            grpc-js-xds 1.14 knows only google_default and insecure, and refuses such a bootstrap
  --xds-server-name NAME    the name the server's certificate is checked for (Envoy, with --xds-tls; default: the
                            host of --xds-address, or ${XDS_SERVICE} when that is an IP). mizzen's
                            certificate names ${XDS_SERVICE}(.cluster.local), localhost, 127.0.0.1 and the
                            host of the mesh config's xdsTlsAddress; gRPC always checks the host of --xds-address
  --cluster NAME            Envoy node.cluster, the service its spans name (default: from --labels as
                            --tracing-service-name says, the pod's name standing for the workload's)
  --tracing-service-name MODE
                            Istio's ProxyConfig tracingServiceName: APP_LABEL_AND_NAMESPACE (the default:
                            <app label>.<namespace>), CANONICAL_NAME_ONLY (<canonical name>) or
                            CANONICAL_NAME_AND_NAMESPACE (<canonical name>.<namespace>)
  --log-level LEVEL         Envoy log level (default warning)
  --access-log-service HOST:PORT
                            Envoy: the envoy_accesslog_service cluster (plaintext, HTTP/2) that the loggers of the mesh
                            config's enableEnvoyAccessLogService stream to, as ProxyConfig envoyAccessLogService.address

examples:
  mizzen bootstrap --grpc --node 'sidecar~127.0.0.1~client.default~default.svc.cluster.local' --xds-address 127.0.0.1:15010
  GRPC_XDS_BOOTSTRAP_CONFIG="$(mizzen bootstrap --grpc --namespace default --xds-address 127.0.0.1:15010)" node client.js
  mizzen workload-cert --namespace default --service-account client --out /var/lib/istio/data
  mizzen bootstrap --grpc --namespace default --xds-address 127.0.0.1:15010 --cert-dir /var/lib/istio/data
  mizzen workload-cert --namespace shop --service-account vm --out /etc/certs
  mizzen bootstrap --node 'sidecar~10.0.0.9~vm-1.shop~shop.svc.cluster.local' --cert-dir /etc/certs --xds-tls
`;

const FLAGS = {
  node: { type: 'string' },
  grpc: { type: 'boolean' },
  'xds-address': { type: 'string' },
  namespace: { type: 'string' },
  labels: { type: 'string' },
  ip: { type: 'string' },
  pod: { type: 'string' },
  cluster: { type: 'string' },
  'log-level': { type: 'string' },
  'cert-dir': { type: 'string' },
  'xds-tls': { type: 'boolean' },
  'xds-server-name': { type: 'string' },
  'access-log-service': { type: 'string' },
  'tracing-service-name': { type: 'string' },
} as const;

/** Errors from the pure builders name their fields; on the command line those are flags. */
const flagNames = (e: string): string =>
  e.replace(/^(node\.id|nodeId):/, '--node:').replace(/^xdsAddress:/, '--xds-address:').replace(/^ip:/, '--ip:').replace(/^certDir:/, '--cert-dir:').replace(/^xdsTls:/, '--xds-tls:');

/** What is wrong with the xDS-over-TLS flags together, each naming its flag. */
function xdsTlsErrors(v: { grpc?: boolean; 'cert-dir'?: string; 'xds-tls'?: boolean; 'xds-server-name'?: string }): string[] {
  const errors: string[] = [];
  const name = v['xds-server-name'];
  if (v['xds-tls'] && v['cert-dir'] === undefined) errors.push('--xds-tls: needs --cert-dir DIR (the certificate to present, and the CA to check the server with)');
  if (name !== undefined) {
    if (!v['xds-tls']) errors.push('--xds-server-name: only with --xds-tls');
    else if (v.grpc) errors.push('--xds-server-name: not with --grpc (gRPC checks the host of --xds-address)');
    else if (!isDns1123Subdomain(name)) errors.push(`--xds-server-name: "${name}" must be a DNS name (lowercase letters, digits, '-', '.')`);
  }
  return errors;
}

/** The name the server's certificate is checked for: the address's host, unless that is an IP (or malformed, reported later). */
function serverNameOf(xdsAddress: string): string {
  const hp = parseHostPort(xdsAddress);
  return hp.ok && isIP(hp.value.host) === 0 ? hp.value.host : XDS_SERVICE;
}

function parseLabels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!s) return out;
  for (const pair of s.split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--labels: "${pair}" must be key=value`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

export async function run(argv: string[]): Promise<number> {
  return withUsage(HELP, argv, async () => {
    const { values: v } = parseFlags(argv, FLAGS);
    const labels = parseLabels(v.labels);
    const tlsErrors = xdsTlsErrors(v);
    if (tlsErrors.length > 0) throw new UsageError(tlsErrors.map((e) => `mizzen bootstrap: ${e}`).join('\n'));
    if (v.grpc && v['tracing-service-name'] !== undefined) throw new UsageError('mizzen bootstrap: --tracing-service-name: Envoy only (a gRPC bootstrap names no service cluster)');
    const xdsAddress = v['xds-address'] ?? (v['xds-tls'] ? DEFAULT_XDS_TLS : DEFAULT_XDS);
    let doc: Record<string, unknown>;
    if (v.grpc) {
      const tls = v['xds-tls'] ? { xdsTls: true } : {};
      const r = grpcBootstrap({ xdsAddress, nodeId: v.node, ip: v.ip, pod: v.pod, namespace: v.namespace, labels, certDir: v['cert-dir'], ...tls });
      if (!r.ok) throw new UsageError(r.errors.map((e) => `mizzen bootstrap: ${flagNames(e)}`).join('\n'));
      doc = r.value;
    } else {
      const certDir = v['cert-dir'];
      if (certDir !== undefined && !(certDir.startsWith('/') && certDir.replace(/\/+$/, '') !== '')) throw new UsageError(`mizzen bootstrap: --cert-dir: "${certDir}" must be an absolute path`);
      if (!v.node) throw new UsageError('mizzen bootstrap: --node is required (or use --grpc)');
      const node = parseNode({ id: v.node, metadata: v.namespace ? { NAMESPACE: v.namespace } : {} });
      if (!node.ok) throw new UsageError(node.errors.map((e) => `mizzen bootstrap: ${flagNames(e)}`).join('\n'));
      const ns = node.value.namespace;
      const xdsTls = certDir !== undefined && v['xds-tls'] ? { xdsTls: certDirXdsTls(certDir, v['xds-server-name'] ?? serverNameOf(xdsAddress)) } : {};
      const als = v['access-log-service'];
      const alsIssue = als === undefined ? undefined : addressIssue(als);
      if (alsIssue) throw new UsageError(`mizzen bootstrap: --access-log-service: ${alsIssue}`);
      const mode = v['tracing-service-name'];
      if (mode !== undefined && !(TRACING_SERVICE_NAMES as readonly string[]).includes(mode)) throw new UsageError(`mizzen bootstrap: --tracing-service-name: "${mode}" must be one of ${TRACING_SERVICE_NAMES.join(', ')}`);
      if (mode !== undefined && v.cluster !== undefined) throw new UsageError('mizzen bootstrap: --tracing-service-name: not with --cluster, which names the cluster itself');
      const r = envoyBootstrap({
        xdsAddress,
        nodeId: v.node,
        logLevel: v['log-level'] ?? 'warning',
        clusterName: v.cluster ?? serviceCluster(mode as TracingServiceName | undefined, labels, node.value.podName, ns),
        metadata: { NAMESPACE: ns, ...(Object.keys(labels).length > 0 ? { LABELS: labels } : {}), ...(certDir ? certMetadata(certDir) : {}) },
        ...xdsTls,
        ...(als !== undefined && { accessLogService: { service: { address: als } } }),
      });
      if (!r.ok) throw new UsageError(r.errors.map((e) => `mizzen bootstrap: ${flagNames(e)}`).join('\n'));
      doc = r.value;
    }
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return 0;
  });
}
