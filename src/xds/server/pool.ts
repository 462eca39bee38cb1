/**
 * Encoded resources, shared across proxies, scopes and consecutive snapshots: each distinct content is encoded
 * once (an Any and its DiscoveryResponse entry) and gets a content hash, its version. Used by the snapshot cache
 * (cache.ts).
 */
import { digest, shortHash } from '../../core/hash.js';
import { encode } from '../proto.js';
import { encodeAny, lenField, sotwEntry } from './wire.js';
import { TypeUrls } from '../../core/constants.js';

/** One encoded content, shared by every proxy and scope that has it. */
export interface Encoded {
  /** Content hash: the resource's version. */
  hash: string;
  /** The encoded google.protobuf.Any. */
  any: Buffer;
  /** The DiscoveryResponse `resources` entry. */
  sotw: Buffer;
}

/** A route configuration's virtual hosts are encoded one by one from this many on (see EncodedPool.route). */
const SPLIT_VIRTUAL_HOSTS = 8;
const VIRTUAL_HOST = 'envoy.config.route.v3.VirtualHost';

/**
 * Encoded contents of the current and the previous snapshot: unchanged resources are not encoded again. Looked
 * up by content (the JSON text; hashed only on a miss) and, before that, by the object itself: generators
 * that memoize a resource (EDS per endpoint list, outbound clusters) or a virtual host hand back the same object,
 * which is then never serialized again.
 *
 * A large route configuration is encoded per virtual host: proxy scopes (namespaces) share most of their virtual
 * hosts, and a VirtualService change touches a few, so each distinct virtual host is encoded once and the
 * configurations are concatenations (a repeated field may be written as separate fields: decoders append them).
 */
export class EncodedPool {
  private current = new Map<string, Encoded>();
  private previous = new Map<string, Encoded>();
  private parts = new Map<string, { hash: string; field: Buffer }>();
  private previousParts = new Map<string, { hash: string; field: Buffer }>();
  private readonly byObject = new WeakMap<object, { typeUrl: string; key: string; enc: Encoded }>();
  /** Virtual hosts by identity: generators hand back the same object for the same content (memoized hosts). */
  private readonly partByObject = new WeakMap<object, { hash: string; field: Buffer }>();
  encodes = 0;

  get(typeUrl: string, resource: Record<string, unknown>): Encoded {
    const known = this.byObject.get(resource);
    if (known && known.typeUrl === typeUrl) {
      if (!this.current.has(known.key)) this.current.set(known.key, known.enc);
      return known.enc;
    }
    const vhs = resource.virtual_hosts;
    if (typeUrl === TypeUrls.route && Array.isArray(vhs) && vhs.length >= SPLIT_VIRTUAL_HOSTS) return this.route(resource, vhs);
    const text = JSON.stringify(resource);
    return this.keep(typeUrl, `${typeUrl}\n${text}`, resource, text, () => encode(typeUrl, resource));
  }

  /** A route configuration: its other fields, then each virtual host as its own encoded field (memoized by content). */
  private route(resource: Record<string, unknown>, vhs: unknown[]): Encoded {
    const rest: Record<string, unknown> = { ...resource };
    delete rest.virtual_hosts;
    const restText = JSON.stringify(rest);
    const fields: Buffer[] = [];
    const hashes: string[] = [restText];
    for (const vh of vhs) {
      let part = this.partByObject.get(vh as object);
      if (!part) {
        const text = JSON.stringify(vh);
        part = this.parts.get(text) ?? this.previousParts.get(text);
        if (!part) part = { hash: shortHash(text), field: lenField(2, encode(VIRTUAL_HOST, vh as object)) };
        this.parts.set(text, part);
        this.partByObject.set(vh as object, part);
      }
      fields.push(part.field);
      hashes.push(part.hash);
    }
    const key = `${TypeUrls.route}\n#${digest(hashes.join('\n'))}`;
    return this.keep(TypeUrls.route, key, resource, key, () => Buffer.concat([encode(TypeUrls.route, rest), ...fields]));
  }

  /**
   * The encoding under `key` (this snapshot's, the previous one's, or made now from `message`, the encoded
   * resource, with the hash of `hashed` as its version), kept for this snapshot and for `resource` itself.
   */
  private keep(typeUrl: string, key: string, resource: object, hashed: string, message: () => Uint8Array): Encoded {
    let e = this.current.get(key) ?? this.previous.get(key);
    if (!e) {
      const any = encodeAny(typeUrl, message());
      e = { hash: shortHash(hashed), any, sotw: sotwEntry(any) };
      this.encodes += 1;
    }
    this.current.set(key, e);
    this.byObject.set(resource, { typeUrl, key, enc: e });
    return e;
  }

  /** Called when a new snapshot replaces the old one: contents not used since the last rotation are dropped. */
  rotate(): void {
    this.previous = this.current;
    this.current = new Map();
    this.previousParts = this.parts;
    this.parts = new Map();
  }

  get size(): number {
    return this.current.size;
  }
}
