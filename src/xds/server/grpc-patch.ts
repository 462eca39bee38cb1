/**
 * A guarded replacement of one method of a class inside @grpc/grpc-js, for the places where mizzen changes how
 * grpc-js moves bytes (frames.ts on the send side, receive.ts on the receive side, windows.ts for the HTTP/2
 * receive windows). Idempotent (a marker on the replacement); when the module, the class or the method is not as
 * expected, nothing is replaced and grpc-js keeps its own behaviour.
 */
import { createRequire } from 'node:module';

type Method = (this: unknown, ...args: never[]) => unknown;

/**
 * Replaces `className.prototype[method]` of `@grpc/grpc-js/build/src/<file>` with what `replace` makes of the
 * original (undefined from `replace`: the class is not as expected, leave it). Returns whether the replacement is
 * in effect.
 */
export function patchGrpcJs(file: string, className: string, method: string, marker: string, replace: (original: Method, cls: new (...args: never[]) => unknown) => Method | undefined): boolean {
  try {
    // The same module instance grpc-js itself uses (CommonJS, one cache).
    const mod = createRequire(import.meta.url)(`@grpc/grpc-js/build/src/${file}`) as Record<string, unknown>;
    const cls = mod[className];
    if (typeof cls !== 'function') return false;
    const proto = cls.prototype as Record<PropertyKey, unknown>;
    const original = proto[method];
    if (typeof original !== 'function') return false;
    const tag = Symbol.for(marker);
    if ((original as unknown as Record<symbol, unknown>)[tag]) return true;
    const replacement = replace(original as Method, cls as new (...args: never[]) => unknown);
    if (!replacement) return false;
    Object.defineProperty(replacement, tag, { value: true });
    proto[method] = replacement;
    return true;
  } catch {
    return false;
  }
}
