/** Istio's Bookinfo samples, read unchanged from ../shared/samples/bookinfo beside the repository (as CI lays it out). */
import { fileURLToPath } from 'node:url';

export const BOOKINFO_DIR = fileURLToPath(new URL('../../../shared/samples/bookinfo', import.meta.url));
export const BOOKINFO_NETWORKING = `${BOOKINFO_DIR}/networking`;
export const BOOKINFO_PLATFORM = `${BOOKINFO_DIR}/platform`;
