/** The platform policy: documented defaults, the override-file reader and the types. */
export { CAPACITY_KEYS, type CapacitySettings, DEFAULT_CAPACITY } from './capacity';
export { DEFAULT_POLICY } from './defaults';
export { parsePolicy } from './parse';
export { MAX_RULE_PRIORITY, PolicyFileSchema, policyJsonSchema } from './schema';
export { fillTemplate, readTarget, subnetNameMatcher } from './target';
export type { PlatformPolicy, TargetMapping, TargetMode, WildcardExpansion } from './types';
