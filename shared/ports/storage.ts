/** The manifest bucket as the use cases see it. Adapter: @google-cloud/storage (real GCS or the fake). */

export interface StoredObject {
  name: string;
  /** Decimal string. */
  generation: string;
  size: number;
  md5Hash?: string;
  crc32c?: string;
  updated?: string;
}

export interface ManifestStore {
  /** The object's bytes at exactly `generation`; null if that generation no longer exists (404). */
  read(name: string, generation?: string): Promise<{ object: StoredObject; text: string } | null>;
  /** Metadata of the live generation; null when there is no live object. */
  stat(name: string): Promise<StoredObject | null>;
  /** All live objects under `prefix` (paging handled inside). */
  list(prefix: string): Promise<StoredObject[]>;
  /**
   * Write `content`; `ifGenerationMatch` '0' means "must not exist". Throws `PreconditionFailedError` on 412.
   */
  write(
    name: string,
    content: Buffer,
    opts?: { ifGenerationMatch?: string; contentType?: string },
  ): Promise<StoredObject>;
  delete(name: string, opts?: { ifGenerationMatch?: string }): Promise<void>;
}

/** A generation precondition failed: someone else wrote the object concurrently. */
export class PreconditionFailedError extends Error {
  constructor(readonly objectName: string) {
    super(`gs object ${objectName} changed concurrently (generation precondition failed)`);
    this.name = 'PreconditionFailedError';
  }
}
