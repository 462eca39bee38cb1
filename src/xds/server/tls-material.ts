/**
 * The certificate of xDS over TLS (15012) and the CA it checks client certificates with, kept current without a
 * restart: signed by the mesh CA of the certs directory at start, and signed again when the mesh CA there changes
 * (a rotated mesh-ca.crt and mesh-ca.key, swapped in by a Kubernetes Secret volume) or when two thirds of its
 * lifetime have passed. Until a new one is made, the last good one stays; a mesh CA that no longer loads is
 * logged, not used.
 */
import { watch, type FSWatcher } from 'node:fs';
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
  /** Quiet time after a change in the directory before it is read (default 200 ms). */
  debounceMs?: number;
  now?: () => number;
}

export class XdsTlsMaterial {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private interval?: NodeJS.Timeout;
  private refreshing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly o: XdsTlsOptions,
    private ca: KeyPair,
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
    m.start();
    return m;
  }

  /** The serving certificate in use (PEM). */
  get certificate(): string {
    return this.serving.cert;
  }

  private start(): void {
    this.watcher = watch(this.o.dir, { persistent: false }, () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.refresh(), this.o.debounceMs ?? 200);
      this.timer.unref();
    });
    this.watcher.on('error', (e) => this.o.log.warn({ err: e.message }, 'xds tls: the certs directory watch failed; the mesh CA is read again only at the hourly check'));
    this.interval = setInterval(() => void this.refresh(), this.o.checkMs ?? 60 * 60 * 1000);
    this.interval.unref();
  }

  /** Reads the mesh CA again and signs a new certificate if it changed or the current one ages; one at a time. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.renew()).catch((e: Error) => this.o.log.warn({ err: e.message }, 'xds tls: renewing the serving certificate failed; keeping the current one'));
    return this.refreshing;
  }

  private async renew(): Promise<void> {
    const read = readMeshCa(this.o.dir);
    if (!read.ok) return void this.o.log.warn({ errors: read.errors }, 'xds tls: the mesh CA does not load; keeping the current certificate and CA');
    const ca = read.value;
    const rotated = ca.cert.trim() !== this.ca.cert.trim() || ca.key.trim() !== this.ca.key.trim();
    const due = servingRenewal(this.serving.cert, ca.cert, (this.o.now ?? Date.now)());
    if (!rotated && !due.due) return;
    const serving = await generateServingCert(ca, this.o.names, this.o.days ?? 365);
    updateServerTls(this.creds, { ...serving, clientCa: ca.cert });
    this.ca = ca;
    this.serving = serving;
    this.o.log.info({ reason: rotated ? 'the mesh CA changed' : due.reason }, 'xds tls: new serving certificate from the mesh CA');
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.interval) clearInterval(this.interval);
    this.watcher?.close();
  }
}
