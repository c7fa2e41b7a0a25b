/**
 * Composition root of the validator function. Everything heavy (the storage and Pub/Sub clients, the manifest core)
 * is required on the first event, once per instance, so loading the deployment entry stays cheap and the
 * validator's process never requires @google-cloud/compute (the applier's dependency, ~2 s of cold start).
 */
import type { ValidateObjectDeps, ValidateOutcome } from '../usecases/validateObject';
import { readConfig, requireConfig } from './config';
import { jsonLogger } from './logger';

let deps: Promise<ValidateObjectDeps> | undefined;

/** The composed dependencies plus `close()`, which flushes and closes the Pub/Sub client (tests, local stacks). */
export type ValidatorRuntime = ValidateObjectDeps & { close(): Promise<void> };

/** Builds the validator's dependencies from `env` (EGRESS_* variables, see runtime/config). */
export async function composeValidator(env: NodeJS.ProcessEnv = process.env): Promise<ValidatorRuntime> {
  const cfg = readConfig(env);
  requireConfig(cfg, 'pubsubProject');
  const [{ gcsManifestStore }, { pubsubPublisher }, { loadPolicyFile }] = await Promise.all([
    import('../adapters/storage'),
    import('../adapters/pubsub'),
    import('./policy'),
  ]);
  // An unreadable or invalid policy file throws here, naming the file and line: every event fails loudly until fixed.
  const policy = loadPolicyFile(cfg.policyFile);
  const stores = new Map<string, ReturnType<typeof gcsManifestStore>>();
  const publisher = pubsubPublisher(cfg.pubsubProject);
  return {
    storeFor(bucket) {
      let s = stores.get(bucket);
      if (!s) {
        s = gcsManifestStore(bucket);
        stores.set(bucket, s);
      }
      return s;
    },
    publisher,
    logger: jsonLogger({ component: 'validator' }),
    policy,
    changesTopic: cfg.changesTopic,
    statusTopic: cfg.statusTopic,
    manifestPrefix: cfg.manifestPrefix,
    close: () => publisher.close(),
  };
}

/** The instance's dependencies, composed on first use; a failed composition is retried on the next event. */
export function validatorDeps(): Promise<ValidateObjectDeps> {
  if (!deps) {
    const p = composeValidator();
    deps = p;
    p.catch(() => {
      if (deps === p) deps = undefined;
    });
  }
  return deps;
}

/** Replaces the dependencies (tests, and the local pipeline's in-process functions); `undefined` resets. */
export function setValidatorDeps(next: ValidateObjectDeps | undefined): void {
  deps = next ? Promise.resolve(next) : undefined;
}

/** The function body: one storage CloudEvent in; resolves to acknowledge, rejects (transient failure) to retry. */
export async function runValidator(cloudEvent: unknown): Promise<ValidateOutcome> {
  const d = await validatorDeps();
  const { handleStorageEvent } = await import('../usecases/validateObject');
  return handleStorageEvent(d, cloudEvent);
}
