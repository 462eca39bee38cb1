/** The admission webhook server. */
export * from './app.js';
export * from './handlers.js';
export * from './tls.js';
