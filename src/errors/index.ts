/**
 * @module
 * Typed errors: the base class and guard, the catalogue of codes, one class per code,
 * and the envelope a client receives.
 */
export * from './base.js';
export * from './catalog.js';
export * from './classes.js';
export * from './envelope.js';
