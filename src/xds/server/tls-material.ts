/**
 * The certificate of xDS over TLS (15012) and the CAs it checks client certificates with, following the mesh CA in
 * force (certs/mesh-ca.ts): the certificate is signed by the mesh CA, and signed again, without a restart, when two
 * thirds of its lifetime have passed or the mesh CA changes; client certificates are checked against the CA's own
 * roots (mesh-ca.crt and mesh-roots.crt; not the mesh config's caCertificates, as istiod checks xDS clients against its
 * CA's roots alone). Both are changed in place on the bound port: new handshakes use them,
 * streams already up stay as they are.
 *
 * Proxies check this port against the roots in their root-cert.pem, so a new mesh CA must be trusted by all of them
 * before it signs this certificate. That is the rotation a platform team follows (the mesh CA refuses a reload that
 * skips a step, see certs/trust.ts transitionProblems):
 *   1. add the new root to mesh-roots.crt; every workload certificate Secret gets both roots, then every proxy has
 *      them (the kubelet refreshes mounted Secrets; Envoy and gRPC re-read the files);
 *   2. switch mesh-ca.crt and mesh-ca.key to the new CA, with the old root kept in mesh-roots.crt: this port and
 *      every workload certificate are signed anew by the new CA, and everyone still trusts both;
 *   3. once every certificate is re-issued, drop the old root from mesh-roots.crt (or the file).
 */
import type * as grpc from '@grpc/grpc-js';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../../core/log.js';
import type { MeshAuthority } from '../../certs/mesh-ca.js';
import { generateServingCert, type KeyPair } from '../../certs/generate.js';
import { servingRenewal } from '../../certs/renewal.js';
import { serverTls, updateServerTls } from './peer.js';

export interface XdsTlsOptions {
  /** The mesh CA in force (serve's ctx.meshCa of the certs directory). */
  authority: MeshAuthority;
  /** The DNS names of the serving certificate. */
  names: string[];
  log: Logger;
  /** Lifetime of each serving certificate (default 365 days). */
  days?: number;
  /** How often the lifetime is checked (default hourly). */
  checkMs?: number;
  now?: () => number;
}

export class XdsTlsMaterial {
  private interval?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private refreshing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly o: XdsTlsOptions,
    private serving: KeyPair,
    /** The roots client certificates are checked against (PEM). */
    private clientCa: string,
    /** The credentials to bind the port with; updated in place. */
    readonly creds: grpc.ServerCredentials,
  ) {}

  static async create(o: XdsTlsOptions): Promise<XdsTlsMaterial> {
    const trust = o.authority.current();
    const serving = await generateServingCert(trust.ca, o.names, o.days ?? 365);
    const m = new XdsTlsMaterial(o, serving, trust.caRootsPem, serverTls({ ...serving, clientCa: trust.caRootsPem }));
    m.interval = setInterval(() => void m.refresh(), o.checkMs ?? 60 * 60 * 1000);
    m.interval.unref();
    m.unsubscribe = o.authority.onChange(() => m.refresh());
    return m;
  }

  /** The serving certificate in use (PEM). */
  get certificate(): string {
    return this.serving.cert;
  }

  /** The roots client certificates are checked against (PEM). */
  get clientRoots(): string {
    return this.clientCa;
  }

  /** Follows the mesh CA in force: a new certificate when the current one ages or another CA signed it, the roots when they changed; one at a time. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.renew()).catch((e: Error) => this.o.log.warn({ err: e.message }, 'xds tls: taking the mesh CA in force failed; keeping the current certificate and client CAs'));
    return this.refreshing;
  }

  private async renew(): Promise<void> {
    const trust = this.o.authority.current();
    const due = servingRenewal(this.serving.cert, trust.ca.cert, (this.o.now ?? Date.now)());
    if (!due.due && trust.caRootsPem === this.clientCa) return;
    const serving = due.due ? await generateServingCert(trust.ca, this.o.names, this.o.days ?? 365) : this.serving;
    // grpc-js refuses every new connection after credentials it cannot load: check them before handing them over.
    createSecureContext({ cert: serving.cert, key: serving.key, ca: trust.caRootsPem });
    updateServerTls(this.creds, { ...serving, clientCa: trust.caRootsPem });
    this.serving = serving;
    this.clientCa = trust.caRootsPem;
    this.o.log.info({ reason: due.due ? due.reason : 'the trusted roots changed', roots: trust.roots.length }, due.due ? 'xds tls: new serving certificate from the mesh CA' : 'xds tls: client certificates checked against the new trusted roots');
  }

  close(): void {
    if (this.interval) clearInterval(this.interval);
    this.unsubscribe?.();
  }
}
