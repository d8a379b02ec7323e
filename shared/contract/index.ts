/** The typed contract between the renderer and the station: the one place requests and events are declared. */
export * from './errors';
export * from './model';
export * from './requests';
export * from './events';
export * from './api';
export * from './validate';
export * from './wire';
export * from './catalog';
export * from './at-line';
export * from './provisioning';
