/**
 * Lazy reading of DiscoveryResponses for the simulated proxies. A response arrives as gRPC frames split over
 * HTTP/2 DATA chunks; the chunks are kept as views (no copy into one message buffer) and only the top-level
 * fields (version, type, nonce) are read; resources are stepped over, as Envoy would hand them to its parser.
 * What a proxy must know from them to subscribe further (EDS names from CDS, RDS names from LDS) is decoded once
 * per distinct response version and shared (the message is joined into one buffer only then).
 */
import { decode } from '../../src/xds/proto.js';
import { TypeUrls } from '../../src/core/constants.js';

export interface LazyResponse {
  version: string;
  typeUrl: string;
  nonce: string;
  /** The message as received: views of the DATA chunks, in order. */
  parts: Buffer[];
  bytes: number;
}

/** A read position over a message held as several buffers. */
class Cursor {
  private i = 0;
  private off = 0;

  constructor(private readonly parts: readonly Buffer[]) {}

  /** Whether every byte was read. */
  get done(): boolean {
    while (this.i < this.parts.length && this.off >= this.parts[this.i]!.length) {
      this.i += 1;
      this.off = 0;
    }
    return this.i >= this.parts.length;
  }

  byte(): number {
    if (this.done) throw new Error('truncated message');
    return this.parts[this.i]![this.off++]!;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  }

  skip(n: number): void {
    while (n > 0) {
      if (this.done) throw new Error('truncated message');
      const avail = this.parts[this.i]!.length - this.off;
      if (n < avail) {
        this.off += n;
        return;
      }
      n -= avail;
      this.i += 1;
      this.off = 0;
    }
  }

  /** The next n bytes as UTF-8 (copied only when they straddle two buffers). */
  string(n: number): string {
    if (n === 0) return '';
    this.done;
    const p = this.parts[this.i];
    if (p && this.off + n <= p.length) {
      const s = p.toString('utf8', this.off, this.off + n);
      this.off += n;
      return s;
    }
    const bytes = Buffer.allocUnsafe(n);
    for (let k = 0; k < n; k++) bytes[k] = this.byte();
    return bytes.toString('utf8');
  }
}

/** Reads the top-level fields of a DiscoveryResponse (1 version_info, 2 resources, 4 type_url, 5 nonce). */
export function readResponse(parts: Buffer[]): LazyResponse {
  let bytes = 0;
  for (const p of parts) bytes += p.length;
  const out: LazyResponse = { version: '', typeUrl: '', nonce: '', parts, bytes };
  const c = new Cursor(parts);
  while (!c.done) {
    const key = c.varint();
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) {
      c.varint();
      continue;
    }
    if (wire !== 2) throw new Error(`unexpected wire type ${wire}`);
    const len = c.varint();
    if (field === 1) out.version = c.string(len);
    else if (field === 4) out.typeUrl = c.string(len);
    else if (field === 5) out.nonce = c.string(len);
    else c.skip(len);
  }
  return out;
}

/**
 * gRPC message framing (1 byte compressed flag, 4 bytes big-endian length, the message) over a stream of
 * chunks: each complete message is handed on as the views of the chunks it spans.
 */
export class GrpcDeframer {
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  /** Bytes of the current message still to come (-1: reading a header). */
  private remaining = -1;
  private parts: Buffer[] = [];

  constructor(private readonly onMessage: (parts: Buffer[]) => void) {}

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.remaining < 0) {
        this.header[this.headerFill++] = chunk[pos++]!;
        if (this.headerFill < 5) continue;
        this.headerFill = 0;
        if (this.header[0] !== 0) throw new Error('compressed gRPC message: not negotiated');
        this.remaining = this.header.readUInt32BE(1);
        if (this.remaining === 0) this.emit();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - pos);
      this.parts.push(pos === 0 && take === chunk.length ? chunk : chunk.subarray(pos, pos + take));
      pos += take;
      this.remaining -= take;
      if (this.remaining === 0) this.emit();
    }
  }

  private emit(): void {
    const parts = this.parts;
    this.parts = [];
    this.remaining = -1;
    this.onMessage(parts);
  }
}

/** The resources (encoded Any) of a message in one buffer. */
export function resourcesOf(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = buf[pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    if ((key & 7) === 0) {
      varint();
      continue;
    }
    const len = varint();
    if (key >>> 3 === 2) out.push(buf.subarray(pos, pos + len));
    pos += len;
  }
  return out;
}

const derived = new Map<string, string[]>();
export let decodes = 0;

function collect(v: unknown, key: string, out: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) collect(x, key, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === key && typeof x === 'string') out.add(x);
      else collect(x, key, out);
    }
  }
}

/** The names a response makes the proxy subscribe to next: EDS clusters from CDS, route configs from LDS. */
export function followUpNames(r: LazyResponse): string[] | undefined {
  if (r.typeUrl !== TypeUrls.cluster && r.typeUrl !== TypeUrls.listener) return undefined;
  const key = `${r.typeUrl}|${r.version}`;
  let names = derived.get(key);
  if (names) return names;
  decodes += 1;
  const set = new Set<string>();
  for (const any of resourcesOf(Buffer.concat(r.parts))) {
    const a = decode('google.protobuf.Any', any) as { '@type'?: string } & Record<string, unknown>;
    if (r.typeUrl === TypeUrls.cluster) {
      if (a.type === 'EDS') set.add(String(a.name));
    } else collect(a, 'route_config_name', set);
  }
  names = [...set].sort();
  derived.set(key, names);
  return names;
}
