/** The Project manifest model after validation and normalization. Pure data; no I/O. */
import type { Diagnostic } from '../diagnostics';

export const API_VERSION = 'lowops.manifests.v1';
export const KIND = 'Project';

/** How an allowedEgress entry is enforced: FQDN object, a policy-expanded wildcard, or an address range. */
export type EgressType = 'hostname' | 'wildcard' | 'cidr';

/** One normalized allowedEgress entry. `value` is canonical (lowercase punycode host, `*.suffix`, or network/prefix). */
export interface EgressEntry {
  value: string;
  type: EgressType;
  /** The YAML comment on the entry's line, if any. */
  description?: string;
}

/** The project's identity and metadata. `name` is the project key everywhere downstream. */
export interface ProjectMeta {
  name: string;
  environment: string;
  organizationalUnit?: string;
  organization?: string;
  description?: string;
  region?: string;
}

/** The outcome of validating one manifest file (the CLI JSON shape per manifest). */
export interface ManifestResult {
  path: string;
  valid: boolean;
  /** null when the document could not be read as a Project (no usable metadata.name/environment). */
  project: ProjectMeta | null;
  egress: EgressEntry[];
  diagnostics: Diagnostic[];
  /** Where metadata.name is (for cross-file diagnostics such as DUPLICATE_PROJECT); absent when it is not valid. */
  namePosition?: { line: number; column: number };
}
