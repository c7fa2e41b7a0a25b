/** The fake Compute: one engine, a fake client pair over it, and a REST server the real client talks to. */
export * from './client';
export * from './directory';
export * from './effective';
export * from './engine';
export * from './errors';
export * from './firewalls';
export * from './networks';
export * from './regionClient';
export * from './server';
export * from './subnets';
export * from './validate';
