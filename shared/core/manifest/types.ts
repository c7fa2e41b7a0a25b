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

/** A 1-based position in the manifest text. */
export interface TextPosition {
  line: number;
  column: number;
}

/**
 * Where `spec.allowedEgress` and its entries are in the text, so a tool can point at an entry or place a new one
 * without reading the YAML a second time (`egress explain`).
 */
export interface EgressLayout {
  /** The `spec` key; absent when the document has none. */
  spec?: TextPosition;
  /** The `allowedEgress` key; absent when spec has none. */
  key?: TextPosition;
  /** The list: flow (`[a, b]`) or block; `column` is where a block list's dashes are, `lastLine` its last item's line. */
  list?: { flow: boolean; line: number; column: number; lastLine: number };
  /** Where each entry of `egress` is, in the same order (a repeated entry: its first occurrence). */
  entries: TextPosition[];
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
  /** Where allowedEgress and each kept entry are; absent when the document could not be read. */
  layout?: EgressLayout;
}
