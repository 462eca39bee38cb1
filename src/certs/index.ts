/**
 * Certificates: generation (selfsigned), files in a TLS Secret's layout, live reload for the webhook server,
 * workload (SPIFFE) certificates from the mesh CA, and the mesh's trust (the CA and the roots), reloaded when it changes.
 */
export * from './generate.js';
export * from './files.js';
export * from './reload.js';
export * from './workload.js';
export * from './trust.js';
export * from './mesh-ca.js';
