/** The Project manifest core: validation, normalization, names and the JSON Schema. */

export { DIAGNOSTIC_CODES } from './codes';
export { type NormalizeResult, normalizeEgressValue, normalizeHostname } from './egress';
export { type IdnResult, idnToAscii } from './idn';
export { isValidProjectName, MAX_PROJECT_NAME_LENGTH } from './names';
export { ProjectManifestSchema, projectJsonSchema } from './schema';
export * from './types';
export { checkProjectSet, tooLargeResult, type ValidateOptions, validateManifest } from './validate';
export { MAX_ALIAS_COUNT } from './yamlSource';
