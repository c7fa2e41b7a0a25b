/**
 * The Google client libraries' index modules require their static protobufjs modules (`build/protos/protos.js` of
 * @google-cloud/pubsub, pubsub-api, resource-manager; google-gax's iam_service, locations and operations) only to
 * re-export them as `protos`; nothing on the functions' paths reads them, yet executing them builds every message
 * class of the API (~50 ms each on a cold instance). In the bundle each one is replaced by a stub with the same
 * export names whose getters require the real module on first access, so the code is still there and behaves the
 * same when used, and costs nothing until then.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Plugin } from 'esbuild';

/** The static protobufjs modules made lazy: `node_modules/<pkg>/build/protos/<file>.js`. */
export const LAZY_PROTOS =
  /[\\/]node_modules[\\/](@google-cloud[\\/][^\\/]+|google-gax)[\\/]build[\\/]protos[\\/][a-z_]+\.js$/;

const REAL = 'lazy-protos-real:';

/** The stub of the module at `path`, exporting `names`. */
export function lazyStub(path: string, names: readonly string[]): string {
  const real = JSON.stringify(`${REAL}${path}`);
  const getters = names
    .map(
      (n) =>
        `Object.defineProperty(exports, ${JSON.stringify(n)}, { enumerable: true, get: () => load()[${JSON.stringify(n)}] });`,
    )
    .join('\n');
  // `__esModule` makes TypeScript's __importStar hand the stub over as is, instead of copying (and so loading) it.
  return `Object.defineProperty(exports, "__esModule", { value: true });\nlet real;\nconst load = () => (real ??= require(${real}));\n${getters}\n`;
}

/** The esbuild plugin; `exportsOf(path)` lists a module's export names (the build requires it once to learn them). */
export function lazyProtos(exportsOf: (path: string) => string[] = (p) => Object.keys(require(p))): Plugin {
  return {
    name: 'lazy-protos',
    setup(b) {
      // The stub's own require of the real module: loaded from disk as is, in a namespace the stub filter skips.
      b.onResolve({ filter: new RegExp(`^${REAL}`) }, (args) => ({
        path: args.path.slice(REAL.length),
        namespace: 'lazy-protos-real',
      }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-protos-real' }, (args) => ({
        contents: readFileSync(args.path, 'utf8'),
        loader: 'js',
        resolveDir: dirname(args.path),
      }));
      b.onLoad({ filter: LAZY_PROTOS, namespace: 'file' }, (args) => ({
        contents: lazyStub(args.path, exportsOf(args.path)),
        loader: 'js',
        resolveDir: dirname(args.path),
      }));
    },
  };
}
