/**
 * Certificates: generation (selfsigned), files in a TLS Secret's layout, live reload for the webhook server,
 * and workload (SPIFFE) certificates from the mesh CA.
 */
export * from './generate.js';
export * from './files.js';
export * from './reload.js';
export * from './workload.js';
