/** The verdicts a handler returns. Pure: they build AdmissionResult values; review.ts encodes them. */
import type { AdmissionResult } from './review.js';
import { createPatch } from './patch.js';

const withW = (r: AdmissionResult, warnings?: string[]): AdmissionResult => (warnings && warnings.length > 0 ? { ...r, warnings } : r);

/** Admit unchanged. */
export function allowed(warnings?: string[]): AdmissionResult {
  return withW({ allowed: true }, warnings);
}

/** Reject: the message is what `kubectl` shows the user. Code 400 unless told otherwise. */
export function denied(message: string, code = 400, warnings?: string[]): AdmissionResult {
  return withW({ allowed: false, status: { code, message, reason: code === 400 ? 'BadRequest' : code === 403 ? 'Forbidden' : undefined } }, warnings);
}

/** The webhook itself failed (bad input it cannot read, or a bug): allowed false with the code. */
export function errored(code: number, message: string): AdmissionResult {
  return { allowed: false, status: { code, message, reason: code >= 500 ? 'InternalError' : code === 400 ? 'BadRequest' : undefined } };
}

/** Admit with the minimal JSON patch that turns `original` into `mutated` (no patch when they are equal). */
export function patched(original: unknown, mutated: unknown, warnings?: string[]): AdmissionResult {
  const patch = createPatch(original, mutated);
  return withW(patch.length > 0 ? { allowed: true, patch } : { allowed: true }, warnings);
}

/**
 * Admit with a JSON patch the caller already wrote as text (a JSON array of RFC 6902 operations, e.g. from
 * the injector, which knows what it added); `[]` admits unchanged.
 */
export function patchedJson(patchJson: string, warnings?: string[]): AdmissionResult {
  return withW(patchJson !== '[]' ? { allowed: true, patchJson } : { allowed: true }, warnings);
}

export function withWarnings(result: AdmissionResult, warnings: string[]): AdmissionResult {
  return warnings.length > 0 ? { ...result, warnings: [...(result.warnings ?? []), ...warnings] } : result;
}
