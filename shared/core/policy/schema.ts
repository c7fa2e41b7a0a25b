/** The structure of a platform policy override file (every field optional; merged over DEFAULT_POLICY). */
import { Type } from '@sinclair/typebox';
import { REGION_PATTERN } from '../manifest/schema';
import { CapacityFileSchema } from './capacity';

/** Cloud NGFW rule priorities are 0..2147483647; the top of the range is kept for the implied default rules. */
export const MAX_RULE_PRIORITY = 2147483547;

const WildcardExpansionSchema = Type.Object(
  {
    ranges: Type.Array(Type.String({ minLength: 1 }), {
      description: 'Address ranges (CIDR) that enforce the wildcard.',
    }),
    note: Type.Optional(Type.String({ description: 'Why these ranges (shown in diagnostics and explain).' })),
  },
  { additionalProperties: false },
);

/** The override file. A wildcard mapped to `null` removes a default wildcard. */
export const PolicyFileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    manifest: Type.Optional(
      Type.Object(
        {
          maxFileBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 * 1024 * 1024 })),
          maxEntries: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
          minPrefixV4: Type.Optional(Type.Integer({ minimum: 1, maximum: 32 })),
          minPrefixV6: Type.Optional(Type.Integer({ minimum: 1, maximum: 128 })),
        },
        { additionalProperties: false },
      ),
    ),
    wildcards: Type.Optional(Type.Record(Type.String(), Type.Union([WildcardExpansionSchema, Type.Null()]))),
    firewall: Type.Optional(
      Type.Object(
        {
          hostProject: Type.Optional(Type.String({ minLength: 1 })),
          policy: Type.Optional(Type.String({ minLength: 1 })),
          priorityMin: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_RULE_PRIORITY })),
          priorityMax: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_RULE_PRIORITY })),
          target: Type.Optional(
            Type.Object(
              {
                mode: Type.Union([
                  Type.Literal('subnets'),
                  Type.Literal('serviceAccounts'),
                  Type.Literal('secureTags'),
                  // The pre-issue-10 single-account form; read as serviceAccounts with one template.
                  Type.Literal('serviceAccount'),
                ]),
                subnets: Type.Optional(
                  Type.String({
                    minLength: 1,
                    description: 'subnets mode: subnet names of a project, a glob (`{project}-*`) or `/regex/`.',
                  }),
                ),
                network: Type.Optional(
                  Type.String({ minLength: 1, description: 'subnets mode: only subnetworks of this VPC network.' }),
                ),
                templates: Type.Optional(
                  Type.Array(Type.String({ minLength: 1 }), {
                    description: 'serviceAccounts / secureTags mode: one template per account or tag value.',
                  }),
                ),
                org: Type.Optional(
                  Type.String({ minLength: 1, description: 'secureTags mode: the numeric organization id for {org}.' }),
                ),
                template: Type.Optional(Type.String({ minLength: 1, description: 'serviceAccount mode (legacy).' })),
              },
              { additionalProperties: false },
            ),
          ),
          // Cloud NGFW's own per-rule limits are the ceiling: a policy may only lower them.
          maxFqdnsPerRule: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          maxRangesPerRule: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
          enableLogging: Type.Optional(Type.Boolean()),
          placement: Type.Optional(
            Type.Union([Type.Literal('global'), Type.Literal('regional')], {
              description:
                "Which network firewall policy holds a project's rules: the global one, or the regional one of its spec.region.",
            }),
          ),
          regions: Type.Optional(
            Type.Array(Type.String({ pattern: REGION_PATTERN }), {
              description: 'regional placement: the regions with a regional network firewall policy.',
            }),
          ),
          regionalPolicyName: Type.Optional(
            Type.String({
              minLength: 1,
              description: 'regional placement: the regional policy name template ({policy}, {region}).',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    safety: Type.Optional(
      Type.Object(
        {
          maxRevocationsPerRun: Type.Optional(
            Type.Integer({ minimum: 0, maximum: 100000, description: 'Revocations one operator run may publish.' }),
          ),
          revocationsPerWindow: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 100000, description: 'Revocations the applier applies per window.' }),
          ),
          windowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400 })),
        },
        { additionalProperties: false },
      ),
    ),
    capacity: Type.Optional(CapacityFileSchema),
  },
  { additionalProperties: false, title: 'infrastream-egress platform policy (overrides of the defaults)' },
);

/** The published JSON Schema of the policy override file, as written to schema/policy.schema.json. */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...JSON.parse(JSON.stringify(PolicyFileSchema)),
  };
}
