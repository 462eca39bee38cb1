/**
 * `mizzen bootstrap`: prints the bootstrap a proxy starts from, as JSON on stdout.
 *   --node ID            Istio node id (`sidecar~10.0.0.1~reviews-v1-x.default~default.svc.cluster.local`)
 *   --grpc               the proxyless gRPC bootstrap (GRPC_XDS_BOOTSTRAP) instead of Envoy's
 *   --cert-dir DIR       mesh mTLS with the certificates of a `mizzen workload-cert` directory
 * Bad flags exit 2 naming the flag.
 */
import { parseFlags, withUsage, UsageError } from './args.js';
import { Defaults, Ports } from '../core/constants.js';
import { grpcBootstrap } from '../bootstrap/grpc.js';
import { certMetadata, envoyBootstrap } from '../bootstrap/envoy.js';
import { parseNode } from '../model/proxy.js';

const DEFAULT_XDS = `${Defaults.serviceName}.${Defaults.controlPlaneNamespace}.svc:${Ports.xdsPlaintext}`;

const HELP = `usage: mizzen bootstrap --node ID [--grpc] [flags]

Prints the bootstrap JSON of a proxy that gets its configuration from mizzen.

  --node ID                 node id, Istio's form: sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local
                            (with --grpc it may be left out: built from --ip, --pod, --namespace)
  --grpc                    bootstrap for a proxyless gRPC application (grpc-js-xds, grpc-go, grpc-java):
                            give it to the application as GRPC_XDS_BOOTSTRAP (file) or GRPC_XDS_BOOTSTRAP_CONFIG
  --xds-address HOST:PORT   mizzen's xDS address as the proxy reaches it (${DEFAULT_XDS})
  --namespace NS            the workload's namespace (default: from the node id)
  --labels k=v,k=v          the workload's labels (node metadata LABELS)
  --ip IP, --pod NAME       for --grpc without --node
  --cert-dir DIR            mesh mTLS with the workload certificate in DIR (from 'mizzen workload-cert'), DIR as
                            the proxy sees it: for --grpc a file_watcher certificate provider, for Envoy the node
                            metadata that names the files (TLS_SERVER_CERT_CHAIN …; an absolute path)
  --cluster NAME            Envoy node.cluster (default: <app label or pod>.<namespace>)
  --log-level LEVEL         Envoy log level (default warning)

examples:
  mizzen bootstrap --grpc --node 'sidecar~127.0.0.1~client.default~default.svc.cluster.local' --xds-address 127.0.0.1:15010
  GRPC_XDS_BOOTSTRAP_CONFIG="$(mizzen bootstrap --grpc --namespace default --xds-address 127.0.0.1:15010)" node client.js
  mizzen workload-cert --namespace default --service-account client --out /var/lib/istio/data
  mizzen bootstrap --grpc --namespace default --xds-address 127.0.0.1:15010 --cert-dir /var/lib/istio/data
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
} as const;

/** Errors from the pure builders name their fields; on the command line those are flags. */
const flagNames = (e: string): string => e.replace(/^(node\.id|nodeId):/, '--node:').replace(/^xdsAddress:/, '--xds-address:').replace(/^ip:/, '--ip:').replace(/^certDir:/, '--cert-dir:');

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
    const xdsAddress = v['xds-address'] ?? DEFAULT_XDS;
    let doc: Record<string, unknown>;
    if (v.grpc) {
      const r = grpcBootstrap({ xdsAddress, nodeId: v.node, ip: v.ip, pod: v.pod, namespace: v.namespace, labels, certDir: v['cert-dir'] });
      if (!r.ok) throw new UsageError(r.errors.map((e) => `mizzen bootstrap: ${flagNames(e)}`).join('\n'));
      doc = r.value;
    } else {
      const certDir = v['cert-dir'];
      if (certDir !== undefined && !(certDir.startsWith('/') && certDir.replace(/\/+$/, '') !== '')) throw new UsageError(`mizzen bootstrap: --cert-dir: "${certDir}" must be an absolute path`);
      if (!v.node) throw new UsageError('mizzen bootstrap: --node is required (or use --grpc)');
      const node = parseNode({ id: v.node, metadata: v.namespace ? { NAMESPACE: v.namespace } : {} });
      if (!node.ok) throw new UsageError(node.errors.map((e) => `mizzen bootstrap: ${flagNames(e)}`).join('\n'));
      const ns = node.value.namespace;
      const r = envoyBootstrap({
        xdsAddress,
        nodeId: v.node,
        logLevel: v['log-level'] ?? 'warning',
        clusterName: v.cluster ?? `${labels.app ?? node.value.podName}.${ns}`,
        metadata: { NAMESPACE: ns, ...(Object.keys(labels).length > 0 ? { LABELS: labels } : {}), ...(certDir ? certMetadata(certDir) : {}) },
      });
      if (!r.ok) throw new UsageError(r.errors.map((e) => `mizzen bootstrap: ${flagNames(e)}`).join('\n'));
      doc = r.value;
    }
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return 0;
  });
}
