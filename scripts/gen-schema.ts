/**
 * Writes the published JSON Schemas from the TypeBox definitions the validators use (one source, no hand-kept
 * twin): schema/project.schema.json and schema/policy.schema.json. A unit test fails when they are stale.
 * Run: npx tsc -p tsconfig.build.json && node dist/scripts/gen-schema.js
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectJsonSchema } from '../shared/core/manifest/schema';
import { policyJsonSchema } from '../shared/core/policy/schema';

/** The schema files and their contents, as the stale-check test compares them. */
export function schemaFiles(): { file: string; content: string }[] {
  return [
    { file: 'schema/project.schema.json', content: `${JSON.stringify(projectJsonSchema(), null, 2)}\n` },
    { file: 'schema/policy.schema.json', content: `${JSON.stringify(policyJsonSchema(), null, 2)}\n` },
  ];
}

if (require.main === module) {
  // Works from scripts/ (ts) and dist/scripts/ (compiled): the root is the nearest directory with package.json.
  let root = __dirname;
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  for (const { file, content } of schemaFiles()) {
    writeFileSync(join(root, file), content);
    process.stdout.write(`wrote ${file}\n`);
  }
}
