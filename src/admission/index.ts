/** AdmissionReview protocol: decoding, encoding, verdict helpers and minimal JSON patches. */
export * from './review.js';
export * from './responses.js';
export * from './patch.js';
