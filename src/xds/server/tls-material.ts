/**
 * The certificate of xDS over TLS (15012) and the CA it checks client certificates with: signed by the mesh CA of
 * the certs directory at start, and signed again, without a restart, when two thirds of its lifetime have passed.
 *
 * The mesh CA itself is the one read at start, as the workload certificate issuer and rotator read it
 * (sources/kube/component.ts): were 15012 alone to follow a rotated mesh CA, proxies whose root is still the old one
 * (new pods get Secrets from the issuer's CA) could not check it, and would get no configuration. A rotated mesh CA
 * takes effect for all of them together, at the next start.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../core/log.js';
import { readMeshCa } from '../../certs/files.js';
import { generateServingCert, type KeyPair } from '../../certs/generate.js';
import { servingRenewal } from '../../certs/renewal.js';
import { serverTls, updateServerTls } from './peer.js';

export interface XdsTlsOptions {
  /** The certs directory holding mesh-ca.crt and mesh-ca.key. */
  dir: string;
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
  private refreshing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly o: XdsTlsOptions,
    private readonly ca: KeyPair,
    private serving: KeyPair,
    /** The credentials to bind the port with; updated in place. */
    readonly creds: grpc.ServerCredentials,
  ) {}

  /** The material of a certs directory, or why there is none (no mesh CA there). */
  static async create(o: XdsTlsOptions): Promise<XdsTlsMaterial | string> {
    const ca = readMeshCa(o.dir);
    if (!ca.ok) return `no mesh CA: ${ca.errors.join('; ')}`;
    const serving = await generateServingCert(ca.value, o.names, o.days ?? 365);
    const m = new XdsTlsMaterial(o, ca.value, serving, serverTls({ ...serving, clientCa: ca.value.cert }));
    m.interval = setInterval(() => void m.refresh(), o.checkMs ?? 60 * 60 * 1000);
    m.interval.unref();
    return m;
  }

  /** The serving certificate in use (PEM). */
  get certificate(): string {
    return this.serving.cert;
  }

  /** Signs a new certificate if the current one ages; one at a time. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.renew()).catch((e: Error) => this.o.log.warn({ err: e.message }, 'xds tls: renewing the serving certificate failed; keeping the current one'));
    return this.refreshing;
  }

  private async renew(): Promise<void> {
    const due = servingRenewal(this.serving.cert, this.ca.cert, (this.o.now ?? Date.now)());
    if (!due.due) return;
    const serving = await generateServingCert(this.ca, this.o.names, this.o.days ?? 365);
    updateServerTls(this.creds, { ...serving, clientCa: this.ca.cert });
    this.serving = serving;
    this.o.log.info({ reason: due.reason }, 'xds tls: new serving certificate from the mesh CA');
  }

  close(): void {
    if (this.interval) clearInterval(this.interval);
  }
}
