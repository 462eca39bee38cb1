/** Regular-expression text. Pure. */

/** `s` as a literal inside an RE2 (or JavaScript) regular expression: every metacharacter escaped. */
export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
