/** The firewall core: rule compiler, ownership marker, plan, priorities, rendering. Pure; see docs/applier.md. */
export * from './compiler';
export * from './fleetPlan';
export * from './marker';
export * from './naming';
export * from './placedWrites';
export * from './plan';
export * from './previewPlan';
export * from './priorities';
export * from './ranges';
export * from './render';
export * from './requestId';
export * from './tombstone';
export type * from './types';
export * from './writePlan';
