/** The base layer: lifecycle and event vocabulary used by every other folder. Imports nothing of the project. */
export * from './disposable';
export * from './errors';
export * from './event';
