/** The product's version, for `egress --version` and the MCP server's handshake (one lookup). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The package version (package.json above this module, from the sources or from dist/). */
export function packageVersion(from = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'infrastream-egress') return pkg.version ?? '0.0.0';
  }
  return '0.0.0';
}
