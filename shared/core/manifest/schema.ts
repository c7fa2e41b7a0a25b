/**
 * The Project manifest's structure, defined once with TypeBox (which is JSON Schema): the validator's structural
 * walk uses it, and `scripts/gen-schema.ts` publishes it as `schema/project.schema.json` for editors.
 */
import { type Static, Type } from '@sinclair/typebox';
import { MAX_PROJECT_NAME_LENGTH, PROJECT_NAME_PATTERN } from './names';
import { API_VERSION, KIND } from './types';

/** Lowercase label for environment names (`production`, `staging`): they end up in labels and rule descriptions. */
export const ENVIRONMENT_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
/** Shape of a GCP region name (`us-central1`, `northamerica-northeast2`). */
export const REGION_PATTERN = '^[a-z]+(-[a-z]+)+[0-9]+$';

/** One allowedEgress entry: the per-entry rule (normalizeEgressValue) checks the value itself. */
export const EgressEntrySchema = Type.String({
  minLength: 1,
  description:
    'An external destination: a hostname (api.stripe.com), a wildcard the platform policy supports (*.googleapis.com), or a public IPv4/IPv6 address or CIDR range. A YAML comment on the same line becomes its description.',
  examples: ['api.stripe.com', '*.googleapis.com', '151.101.0.0/16'],
});

/** `metadata`: the project's identity. */
export const MetadataSchema = Type.Object(
  {
    name: Type.String({
      pattern: PROJECT_NAME_PATTERN,
      maxLength: MAX_PROJECT_NAME_LENGTH,
      description: `The project key: a lowercase RFC 1035 label of at most ${MAX_PROJECT_NAME_LENGTH} characters. Must equal the file name (payment-gateway.yaml).`,
    }),
    environment: Type.String({
      pattern: ENVIRONMENT_PATTERN,
      description: 'The environment, a lowercase label such as production or staging.',
    }),
    'organizational-unit': Type.Optional(Type.String({ minLength: 1, description: 'Owning organizational unit.' })),
    organization: Type.Optional(Type.String({ minLength: 1, description: 'Owning organization.' })),
  },
  { additionalProperties: false, description: 'Identity of the project.' },
);

/** `spec`: what the project needs. */
export const SpecSchema = Type.Object(
  {
    description: Type.Optional(Type.String({ description: 'What the project does.' })),
    region: Type.Optional(Type.String({ pattern: REGION_PATTERN, description: 'A GCP region name (us-central1).' })),
    allowedEgress: Type.Optional(
      Type.Array(EgressEntrySchema, {
        description:
          'External destinations the project may reach. Missing or [] means no egress. Duplicates are kept once.',
      }),
    ),
  },
  { additionalProperties: false, description: 'The project specification.' },
);

/** The whole manifest (one per file). */
export const ProjectManifestSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION, { description: `Always ${API_VERSION}.` }),
    kind: Type.Literal(KIND, { description: `Always ${KIND}.` }),
    metadata: MetadataSchema,
    spec: Type.Optional(SpecSchema),
  },
  {
    additionalProperties: false,
    title: 'infrastream Project manifest',
    description: 'A Project manifest: one per file, file name = metadata.name. See docs/manifest.md.',
  },
);

/** The manifest as plain data, after the structural check. */
export type ProjectManifestData = Static<typeof ProjectManifestSchema>;

/** The published JSON Schema document (draft 2020-12), as written to schema/project.schema.json. */
export function projectJsonSchema(): Record<string, unknown> {
  // JSON round-trip drops TypeBox's symbol-keyed metadata and leaves plain JSON Schema.
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...JSON.parse(JSON.stringify(ProjectManifestSchema)),
  };
}
