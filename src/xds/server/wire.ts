/**
 * The ADS service on the wire. Requests are decoded by @grpc/proto-loader (snake_case); responses are written
 * by hand from pre-encoded resources, so one encoded resource is shared by every proxy that receives it and a
 * response costs a concatenation, not a protobuf encode.
 *
 * DiscoveryResponse: 1 version_info, 2 resources (Any), 4 type_url, 5 nonce.
 * DeltaDiscoveryResponse: 1 system_version_info, 2 resources (Resource), 4 type_url, 5 nonce, 6 removed_resources.
 * Any: 1 type_url, 2 value. Resource: 1 version, 2 resource (Any), 3 name.
 */
import * as protoLoader from '@grpc/proto-loader';
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';
import { PROTO_INCLUDE_DIRS } from '../proto.js';
import { digest } from '../../core/hash.js';
import { framedMessage, sendFramedWithoutCopy } from './frames.js';
import { receiveIntoPool, receivePool } from './receive.js';

const LEN = 2;
const tag = (field: number): number => (field << 3) | LEN;

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** One length-delimited field: tag, length, bytes. */
export function lenField(field: number, bytes: Uint8Array | string): Buffer {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return Buffer.concat([Buffer.from([tag(field)]), varint(b.length), b]);
}

/** The encoded google.protobuf.Any message for a resource value. */
export function encodeAny(typeUrl: string, value: Uint8Array): Buffer {
  return Buffer.concat([lenField(1, typeUrl), lenField(2, value)]);
}

/** A DiscoveryResponse `resources` entry (field 2) around an encoded Any. */
export function sotwEntry(any: Buffer): Buffer {
  return lenField(2, any);
}

/** A DeltaDiscoveryResponse `resources` entry (field 2): Resource { version, resource: Any, name }. */
export function deltaEntry(name: string, version: string, any: Buffer): Buffer {
  return lenField(2, Buffer.concat([lenField(1, version), lenField(2, any), lenField(3, name)]));
}

/** Encodes a DiscoveryResponse from pre-encoded `resources` entries (built inside its gRPC frame: frames.ts). */
export function sotwResponse(versionInfo: string, typeUrl: string, nonce: string, entries: readonly Buffer[]): Buffer {
  return framedMessage([lenField(1, versionInfo), ...entries, lenField(4, typeUrl), lenField(5, nonce)]);
}

/** Encodes a DeltaDiscoveryResponse from pre-encoded `resources` entries and the removed names (framed likewise). */
export function deltaResponse(systemVersion: string, typeUrl: string, nonce: string, entries: readonly Buffer[], removed: readonly string[]): Buffer {
  return framedMessage([lenField(1, systemVersion), ...entries, lenField(4, typeUrl), lenField(5, nonce), ...removed.map((r) => lenField(6, r))]);
}

/** google.rpc.Status as proto-loader decodes it. */
export interface RpcStatus {
  code?: number;
  message?: string;
}

export interface WireNode {
  id?: string;
  cluster?: string;
  metadata?: { fields?: Record<string, unknown> } | null;
  user_agent_name?: string;
  locality?: { region?: string; zone?: string; sub_zone?: string } | null;
}

export interface DiscoveryRequest {
  /** The encoded resource_names fields, in order (fast reader): equal bytes, equal name lists. */
  names_bytes?: Buffer;
  /** Digest of names_bytes: equal digests, equal name lists. */
  names_digest?: string;
  version_info?: string;
  node?: WireNode | null;
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: RpcStatus | null;
}

export interface DeltaDiscoveryRequest {
  node?: WireNode | null;
  type_url?: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: RpcStatus | null;
}

/**
 * google.protobuf.Value → plain JSON value. protobufjs defines the well-known Struct types itself with camelCase
 * fields (`stringValue`, `structValue`, …) even under keepCase, so both spellings are accepted.
 */
export function valueToPlain(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, any>;
  const kind: string | undefined = typeof o.kind === 'string' ? o.kind : Object.keys(o).find((k) => o[k] !== undefined && o[k] !== null && /(_v|V)alue$/.test(k));
  switch (kind) {
    case 'null_value':
    case 'nullValue':
      return null;
    case 'number_value':
    case 'numberValue':
      return Number(o[kind]);
    case 'string_value':
    case 'stringValue':
      return String(o[kind]);
    case 'bool_value':
    case 'boolValue':
      return Boolean(o[kind]);
    case 'struct_value':
    case 'structValue':
      return structToPlain(o[kind]);
    case 'list_value':
    case 'listValue':
      return Array.isArray(o[kind]?.values) ? o[kind].values.map(valueToPlain) : [];
    default:
      return undefined;
  }
}

/** google.protobuf.Struct (proto-loader shape) → plain object. */
export function structToPlain(s: unknown): Record<string, unknown> {
  const fields = (s as { fields?: Record<string, unknown> } | null | undefined)?.fields;
  if (!fields || typeof fields !== 'object') return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = valueToPlain(v);
  return out;
}

export const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

/** Where the last varintAt() stopped (a module cursor, so reading a varint allocates nothing). */
let cursor = 0;

/** The varint at `pos`; the position after it is left in `cursor`. */
function varintAt(buf: Buffer, pos: number): number {
  if (pos >= buf.length) throw new Error('truncated varint');
  let b = buf[pos++]!;
  if (b < 0x80) {
    cursor = pos;
    return b;
  }
  let result = b & 0x7f;
  let mul = 128;
  for (;;) {
    if (pos >= buf.length || mul > 2 ** 49) throw new Error('bad varint');
    b = buf[pos++]!;
    result += (b & 0x7f) * mul;
    if (b < 0x80) {
      cursor = pos;
      return result;
    }
    mul *= 128;
  }
}

/** The strings of a run of encoded resource_names fields (names_bytes). */
export function decodeNames(bytes: Buffer): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    varintAt(bytes, pos);
    const len = varintAt(bytes, cursor);
    out.push(bytes.toString('utf8', cursor, cursor + len));
    pos = cursor + len;
  }
  return out;
}

const NO_NAMES = Buffer.alloc(0);

/**
 * The name lists seen last, as private copies. Proxies of one kind send the same list (70 KB for 1,200 EDS
 * names), so a request's list is compared with these (a memcmp) and the request then shares the copy: equal lists
 * are the same Buffer, and nothing of the request's own bytes is kept.
 */
const recentNames: Buffer[] = [];
const RECENT_NAMES = 8;

/** The shared copy of an encoded name list (`own`: `bytes` is a fresh copy already, kept when the list is new). */
export function internNames(bytes: Buffer, own: boolean): Buffer {
  for (let i = 0; i < recentNames.length; i++) {
    const r = recentNames[i]!;
    if (r.length !== bytes.length || !r.equals(bytes)) continue;
    if (i > 0) {
      recentNames.splice(i, 1);
      recentNames.unshift(r);
    }
    return r;
  }
  const copy = own ? bytes : Buffer.from(bytes);
  recentNames.unshift(copy);
  if (recentNames.length > RECENT_NAMES) recentNames.pop();
  return copy;
}

const digests = new WeakMap<Buffer, string>();

/** The digest of a name list's bytes (memoized per buffer). */
export function namesDigest(bytes: Buffer): string {
  let d = digests.get(bytes);
  if (d === undefined) digests.set(bytes, (d = digest(bytes)));
  return d;
}

/**
 * A DiscoveryRequest reader for the common case, an ACK: Envoy repeats its whole name list (often thousands of
 * EDS names, tens of kilobytes) in every request, from every proxy, after every push. Top-level fields are read
 * by hand and the names are left as bytes (`names_bytes`, a view of the request: no allocation per name): the
 * stream compares them with the bytes of its previous request (a memcmp) and decodes (`resource_names`) or
 * hashes them (`names_digest`) only when they changed. Requests with a node or an error_detail (first request,
 * NACK) and anything unexpected go through the full decoder.
 */
export function fastSotwDeserializer(full: (buf: Buffer) => DiscoveryRequest): (buf: Buffer) => DiscoveryRequest {
  return (buf) => {
    // The encoded resource_names fields (tag, length, bytes), as [start, end) ranges: usually one run.
    let runStart = -1;
    let runEnd = -1;
    let runs: Array<[number, number]> | undefined;
    const out: DiscoveryRequest = {};
    let pos = 0;
    let slow = false;
    // Whether every resource_names field was seen (names_bytes then stands for the whole list).
    let complete = true;
    try {
      while (pos < buf.length) {
        const fieldStart = pos;
        const key = varintAt(buf, pos);
        pos = cursor;
        const field = key >>> 3;
        const wire = key & 7;
        if (wire === 0) {
          varintAt(buf, pos);
          pos = cursor;
          continue;
        }
        if (wire !== 2) {
          slow = true;
          complete = false;
          break;
        }
        const len = varintAt(buf, pos);
        pos = cursor;
        if (pos + len > buf.length) throw new Error('truncated field');
        const start = pos;
        pos += len;
        if (field === 3) {
          if (runEnd === fieldStart) runEnd = pos;
          else {
            if (runStart >= 0) (runs ??= []).push([runStart, runEnd]);
            runStart = fieldStart;
            runEnd = pos;
          }
        } else if (slow) continue; // decoded in full below; only the names' bytes are still read here
        else if (field === 1) out.version_info = buf.toString('utf8', start, pos);
        else if (field === 4) out.type_url = buf.toString('utf8', start, pos);
        else if (field === 5) out.response_nonce = buf.toString('utf8', start, pos);
        else if (field === 2 || field === 6 || field === 7) slow = true;
      }
    } catch {
      slow = true;
      complete = false;
    }
    let bytes: Buffer | undefined;
    if (complete) {
      if (runs) {
        runs.push([runStart, runEnd]);
        bytes = internNames(Buffer.concat(runs.map(([a, b]) => buf.subarray(a, b))), true);
      } else bytes = runStart >= 0 ? internNames(buf.subarray(runStart, runEnd), false) : NO_NAMES;
    }
    const req: DiscoveryRequest = slow ? full(buf) : out;
    // Nothing read on the fast path points into the message (names are interned copies): its block can be reused.
    // The generic decoder may keep views of it (bytes fields), so then it is left to the garbage collector.
    if (!slow) receivePool.give(buf);
    if (bytes) {
      const b = bytes;
      req.names_bytes = b;
      Object.defineProperty(req, 'names_digest', { enumerable: true, configurable: true, get: () => namesDigest(b) });
      if (!slow) {
        let decoded: string[] | undefined;
        Object.defineProperty(req, 'resource_names', { enumerable: true, configurable: true, get: () => (decoded ??= decodeNames(b)) });
      }
    }
    return req;
  };
}

let definition: ServiceDefinition | undefined;

/**
 * The ADS service definition with requests decoded by proto-loader and responses taken as ready bytes
 * (a Buffer is written as is; anything else is a bug).
 */
export function adsServiceDefinition(): ServiceDefinition {
  if (definition) return definition;
  // Responses built by sotwResponse/deltaResponse then reach HTTP/2 without grpc-js's copy per stream, and
  // requests are read into reused blocks (receive.ts).
  sendFramedWithoutCopy();
  receiveIntoPool();
  const pkg = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: PROTO_INCLUDE_DIRS,
  });
  const service = pkg[ADS_SERVICE] as unknown as Record<string, MethodDefinition<unknown, unknown>>;
  const out: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service)) {
    out[name] = {
      ...method,
      ...(name === 'StreamAggregatedResources' ? { requestDeserialize: fastSotwDeserializer(method.requestDeserialize as (b: Buffer) => DiscoveryRequest) } : {}),
      responseSerialize: (value: unknown): Buffer => {
        if (Buffer.isBuffer(value)) return value;
        throw new Error(`${name}: responses must be pre-encoded buffers`);
      },
    };
  }
  definition = out as ServiceDefinition;
  return definition;
}

/** The same service for clients (tests, benchmarks): requests encoded by proto-loader, responses left as bytes. */
export function adsClientDefinition(): ServiceDefinition {
  const pkg = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: PROTO_INCLUDE_DIRS });
  return pkg[ADS_SERVICE] as unknown as ServiceDefinition;
}
