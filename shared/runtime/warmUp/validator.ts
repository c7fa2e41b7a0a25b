/** The validator's warm-up (example.ts): its composition, then one finalized manifest on in-memory ports. */
import { memoryLogger, memoryManifestStore, memoryPublisher } from '../../adapters/memory';
import { composeValidator } from '../validator';
import { WARM_UP_BUCKET, WARM_UP_ENV, WARM_UP_MANIFEST, WARM_UP_OBJECT } from './example';

/** Validates the example manifest as a storage event would have it; throws unless an egress change was published. */
export async function warmUpValidator(): Promise<void> {
  const validator = await composeValidator(WARM_UP_ENV);
  const store = memoryManifestStore(WARM_UP_BUCKET);
  const object = await store.write(WARM_UP_OBJECT, Buffer.from(WARM_UP_MANIFEST), { contentType: 'application/yaml' });
  const { handleStorageEvent } = await import('../../usecases/validateObject');
  try {
    const outcome = await handleStorageEvent(
      { ...validator, storeFor: () => store, publisher: memoryPublisher(), logger: memoryLogger() },
      {
        specversion: '1.0',
        type: 'google.cloud.storage.object.v1.finalized',
        id: 'warm-up-1',
        source: `//storage.googleapis.com/projects/_/buckets/${WARM_UP_BUCKET}`,
        data: { bucket: WARM_UP_BUCKET, name: object.name, generation: object.generation, size: String(object.size) },
      },
    );
    if (outcome.kind !== 'published')
      throw new Error(`warm-up: the validator ended ${outcome.kind}: ${JSON.stringify(outcome).slice(0, 2000)}`);
  } finally {
    await validator.close();
  }
}
