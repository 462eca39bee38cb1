/** Content digests (SHA-1 of a text or bytes, base64url): versions and memo keys, never security. */
import { createHash } from 'node:crypto';

/** The whole digest (27 characters). */
export const digest = (content: string | Uint8Array): string => createHash('sha1').update(content).digest('base64url');

/** The digest's first 16 characters: the versions and content digests the model and the xDS server hand out. */
export const shortHash = (text: string): string => digest(text).slice(0, 16);
