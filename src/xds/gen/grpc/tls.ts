/**
 * Mesh mTLS for proxyless gRPC, as istiod's gRPC generator sends it: the certificates are not in the xDS
 * resources but named by reference to the bootstrap's certificate provider instance `default` (a file_watcher
 * over the workload's cert-chain.pem, key.pem and root-cert.pem: `mizzen bootstrap --grpc --cert-dir`), its
 * certificate `default` for the workload's own identity and `ROOTCA` for the mesh CA that checks the peer.
 * A client or server whose bootstrap has no such instance refuses the resource (gRPC NACKs it) rather than fall
 * back to plaintext. Pure.
 */
import { GrpcXds } from '../../../core/constants.js';

type Obj = Record<string, unknown>;

export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';
const TLS_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.';
const provider = (certificate_name: string): Obj => ({ instance_name: GrpcXds.certProviderInstance, certificate_name });

function commonTlsContext(sans: readonly string[]): Obj {
  return {
    tls_certificate_provider_instance: provider('default'),
    validation_context: {
      ca_certificate_provider_instance: provider('ROOTCA'),
      ...(sans.length > 0 ? { match_subject_alt_names: sans.map((exact) => ({ exact })) } : {}),
    },
  };
}

/**
 * A client's side of ISTIO_MUTUAL: present the workload certificate, accept a server whose certificate the mesh CA
 * signed for one of `sans` (any mesh identity when the service's identities are unknown).
 */
export function upstreamMtls(sans: readonly string[]): Obj {
  return { name: TLS_TRANSPORT_SOCKET, typed_config: { '@type': `${TLS_TYPE}UpstreamTlsContext`, common_tls_context: commonTlsContext(sans) } };
}

/** A server's side of STRICT: present the workload certificate, require one from the client signed by the mesh CA. */
export function downstreamMtls(): Obj {
  return {
    name: TLS_TRANSPORT_SOCKET,
    typed_config: { '@type': `${TLS_TYPE}DownstreamTlsContext`, common_tls_context: commonTlsContext([]), require_client_certificate: { value: true } },
  };
}
