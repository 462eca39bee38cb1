/** Expected failures are values, not exceptions. Throw only for bugs. */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; errors: E[] };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = <E = string>(...errors: E[]): Result<never, E> => ({ ok: false, errors });
