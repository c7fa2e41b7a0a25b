/** Test helpers for manifest tests: build manifests and find diagnostics by code. */
import type { Diagnostic } from '../../../shared/core/diagnostics';
import { validateManifest } from '../../../shared/core/manifest';
import type { ManifestResult } from '../../../shared/core/manifest/types';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import type { PlatformPolicy } from '../../../shared/core/policy/types';
import { manifestYaml } from '../../support/manifests';

/** A valid manifest for `name` with `entries` as YAML list items (each line used verbatim after `- `). */
export function manifest(entries: string[] = ['"api.stripe.com"'], name = 'payment-gateway'): string {
  return manifestYaml(name, entries, { region: 'us-central1', verbatim: true });
}

/** Line of the first list item in {@link manifest}. */
export const FIRST_ENTRY_LINE = 9;

/** Validates `text` as `<name>.yaml`. */
export function check(text: string, path = 'manifests/payment-gateway.yaml', policy: PlatformPolicy = DEFAULT_POLICY) {
  return validateManifest(text, { path, policy });
}

/** The diagnostics with `code`. */
export function withCode(r: ManifestResult, code: string): Diagnostic[] {
  return r.diagnostics.filter((d) => d.code === code);
}

/** The codes of all diagnostics, in order. */
export function codes(r: ManifestResult): string[] {
  return r.diagnostics.map((d) => d.code);
}
