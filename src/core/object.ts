/** A plain object (not null, not an array): what JSON calls an object. Pure. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
