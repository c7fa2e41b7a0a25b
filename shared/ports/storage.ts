/** The manifest bucket as the use cases see it. Adapter: @google-cloud/storage (real GCS or the fake). */
import { PortError } from './errors';

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
   * Every method throws {@link StorageApiError} (classified transient or permanent) for any other failure.
   */
  write(
    name: string,
    content: Buffer,
    opts?: { ifGenerationMatch?: string; contentType?: string },
  ): Promise<StoredObject>;
  delete(name: string, opts?: { ifGenerationMatch?: string }): Promise<void>;
}

/** A generation precondition failed: someone else wrote the object concurrently (permanent for this write). */
export class PreconditionFailedError extends PortError {
  constructor(readonly objectName: string) {
    super(`gs object ${objectName} changed concurrently (generation precondition failed)`, false);
    this.name = 'PreconditionFailedError';
  }
}

/** A storage API failure, classified by the adapter (transient: 408, 429, 5xx, no response). */
export class StorageApiError extends PortError {
  constructor(
    message: string,
    /** HTTP status; 0 when there was no response (network error, timeout). Reported by `egress sync`. */
    readonly status: number,
    /** The API's reason (`notFound`, `forbidden`, `backendError`…) or the network error code. */
    readonly reason: string,
    transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, transient, options);
    this.name = 'StorageApiError';
  }
}
