/**
 * The AdmissionReview protocol (admission.k8s.io/v1, v1beta1 answered in kind): decoding a request body,
 * encoding a response. Only this module sets uid, patchType and the base64 patch; handlers return
 * AdmissionResult values built with the helpers in responses.ts and never see HTTP.
 */
import { isAscii } from 'node:buffer';
import type { PatchOperation } from './patch.js';
import { parseLazily } from '../core/lazy-json.js';
import { isObject } from '../core/object.js';

export const ADMISSION_V1 = 'admission.k8s.io/v1';
export const ADMISSION_V1BETA1 = 'admission.k8s.io/v1beta1';
const SUPPORTED = [ADMISSION_V1, ADMISSION_V1BETA1];

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
const OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: GroupVersionResource;
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo?: unknown;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
  options?: unknown;
}

/** What a handler decides; encodeResponse() turns it into the wire form. */
export interface AdmissionResult {
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  patch?: PatchOperation[];
  /** The patch as JSON text (an array of operations), when the handler wrote it itself; wins over `patch`. */
  patchJson?: string;
  warnings?: string[];
}

export type DecodedReview =
  | { ok: true; apiVersion: string; request: AdmissionRequest }
  | {
      ok: false;
      /** The apiVersion to answer with (the request's when supported, else v1). */
      apiVersion: string;
      /** The request uid, when it could be read: then the answer is an AdmissionReview, else plain HTTP 400. */
      uid?: string;
      message: string;
    };


function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

const blank = (b: Buffer): boolean => b.every((c) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09);

export interface DecodeOptions {
  /**
   * Leave the bulky leaves of a large body (e.g. 2000 environment variables) unparsed until read
   * (src/core/lazy-json.ts): for readers of a few fields, like the injector. Buffers only.
   */
  lazy?: boolean;
}

/** Parses and checks an AdmissionReview body. Every failure says what is wrong and keeps the uid when readable. */
export function decodeAdmissionReview(body: string | Buffer | unknown, opts: DecodeOptions = {}): DecodedReview {
  let doc: unknown = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    if (typeof body === 'string' ? body.trim() === '' : blank(body)) {
      return { ok: false, apiVersion: ADMISSION_V1, message: 'request body is empty: expected an AdmissionReview (JSON)' };
    }
    try {
      doc = typeof body === 'string' ? JSON.parse(body) : opts.lazy ? parseLazily(body) : JSON.parse(body.toString());
    } catch (e) {
      return { ok: false, apiVersion: ADMISSION_V1, message: `request body is not valid JSON: ${(e as Error).message}` };
    }
  }
  if (!isObject(doc)) return { ok: false, apiVersion: ADMISSION_V1, message: `request body is ${describe(doc)}, expected an AdmissionReview object` };
  const request = doc.request;
  const uid = isObject(request) && typeof request.uid === 'string' && request.uid !== '' ? request.uid : undefined;
  const apiVersion = typeof doc.apiVersion === 'string' && SUPPORTED.includes(doc.apiVersion) ? doc.apiVersion : ADMISSION_V1;
  const bad = (message: string): DecodedReview => ({ ok: false, apiVersion, uid, message });

  if (doc.kind !== 'AdmissionReview') return bad(`not an AdmissionReview: kind is ${JSON.stringify(doc.kind ?? null)}`);
  if (!SUPPORTED.includes(doc.apiVersion as string)) {
    return bad(`apiVersion ${JSON.stringify(doc.apiVersion ?? null)} is not supported: expected ${ADMISSION_V1} or ${ADMISSION_V1BETA1}`);
  }
  if (request === undefined || request === null) return bad('AdmissionReview has no request');
  if (!isObject(request)) return bad(`request: must be an object, got ${describe(request)}`);
  if (uid === undefined) return bad('request.uid: missing or not a non-empty string');
  if (typeof request.operation !== 'string' || !OPERATIONS.includes(request.operation)) {
    return bad(`request.operation: ${JSON.stringify(request.operation ?? null)} is not one of ${OPERATIONS.join(', ')}`);
  }
  const kind = request.kind;
  if (!isObject(kind) || typeof kind.kind !== 'string' || typeof kind.version !== 'string') {
    return bad('request.kind: must be an object with group, version and kind');
  }
  if (request.namespace !== undefined && typeof request.namespace !== 'string') return bad('request.namespace: must be a string');
  if (request.dryRun !== undefined && typeof request.dryRun !== 'boolean') return bad('request.dryRun: must be a boolean');
  const req = request as unknown as AdmissionRequest;
  if (typeof kind.group !== 'string') req.kind = { group: '', version: kind.version, kind: kind.kind };
  return { ok: true, apiVersion: doc.apiVersion as string, request: req };
}

export interface AdmissionResponseBody {
  uid: string;
  allowed: boolean;
  status?: { metadata: Record<string, never>; status: 'Success' | 'Failure'; code: number; message: string; reason?: string };
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

/** The result's patch as JSON text, or undefined when there is nothing to patch. */
export function patchText(result: AdmissionResult): string | undefined {
  if (result.patchJson !== undefined) return result.patchJson === '[]' ? undefined : result.patchJson;
  return result.patch && result.patch.length > 0 ? JSON.stringify(result.patch) : undefined;
}

/**
 * Base64 of the UTF-8 bytes of `text`. For ASCII text (the usual patch) that is btoa's Latin-1 base64; the
 * checks are a copy and a SIMD scan (isAscii), where measuring or writing UTF-8 (Buffer.byteLength,
 * Buffer.from, TextEncoder) takes V8's per-character path, several µs for a patch on a busy server.
 */
export function base64(text: string): string {
  // Characters beyond Latin-1 lose their high byte in this copy; btoa refuses them, so the result stays exact.
  if (isAscii(Buffer.from(text, 'latin1'))) {
    try {
      return btoa(text);
    } catch {
      // a character beyond Latin-1: not ASCII after all
    }
  }
  return Buffer.from(text).toString('base64');
}

/** The response object (without the envelope), as the API server reads it. */
export function responseBody(uid: string, result: AdmissionResult): AdmissionResponseBody {
  const out: AdmissionResponseBody = { uid, allowed: result.allowed };
  if (result.status) {
    out.status = { metadata: {}, status: result.allowed ? 'Success' : 'Failure', code: result.status.code, message: result.status.message };
    if (result.status.reason) out.status.reason = result.status.reason;
  }
  const patch = result.allowed ? patchText(result) : undefined;
  if (patch !== undefined) {
    out.patchType = 'JSONPatch';
    out.patch = base64(patch);
  }
  if (result.warnings && result.warnings.length > 0) out.warnings = result.warnings;
  return out;
}

/** The answer in two parts: JSON up to the response object's last member, and the patch's base64 (if any). */
function answerParts(apiVersion: string, uid: string, result: AdmissionResult): { head: string; patch?: string } {
  const { patch, ...rest } = responseBody(uid, result);
  const response = JSON.stringify(rest);
  return { head: `{"apiVersion":${JSON.stringify(apiVersion)},"kind":"AdmissionReview","response":${response.slice(0, -1)}`, patch };
}

/**
 * The whole AdmissionReview answer, as a JSON string. The patch is serialised once and its base64 (which
 * needs no escaping) is spliced in, instead of re-scanning it in a second stringify.
 */
export function encodeAdmissionReview(apiVersion: string, uid: string, result: AdmissionResult): string {
  const { head, patch } = answerParts(apiVersion, uid, result);
  return patch === undefined ? `${head}}}` : `${head},"patch":"${patch}"}}`;
}

const PATCH_KEY = ',"patch":"';

/**
 * encodeAdmissionReview's answer as UTF-8 bytes, ready for the socket (the hot path of every review): the
 * base64 patch is ASCII, so it is copied in as is, and the server neither measures nor re-encodes a long string.
 */
export function encodeAdmissionReviewBytes(apiVersion: string, uid: string, result: AdmissionResult): Buffer {
  const answer = encodeAdmissionReviewWire(apiVersion, uid, result);
  return typeof answer === 'string' ? Buffer.from(answer) : answer;
}

/**
 * The answer as the server should send it: a string when there is no patch (the usual short verdict; Node's
 * HTTP layer then writes headers and body as one string, one TLS write), else encodeAdmissionReviewBytes's
 * bytes (a long base64 patch copied in as is, not measured and re-encoded as a string).
 */
export function encodeAdmissionReviewWire(apiVersion: string, uid: string, result: AdmissionResult): string | Buffer {
  const { head, patch } = answerParts(apiVersion, uid, result);
  if (patch === undefined) return `${head}}}`;
  const headBytes = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(headBytes + PATCH_KEY.length + patch.length + 3);
  let at = out.write(head, 0, 'utf8');
  at += out.write(PATCH_KEY, at, 'latin1');
  at += out.write(patch, at, 'latin1');
  out.write('"}}', at, 'latin1');
  return out;
}
