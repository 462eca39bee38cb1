/** Certificates: generation (selfsigned), files in a TLS Secret's layout, and live reload for the webhook server. */
export * from './generate.js';
export * from './files.js';
export * from './reload.js';
