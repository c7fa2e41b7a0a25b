/**
 * The one error taxonomy of the ports. An adapter classifies every failure of its client where it happens (it alone
 * knows HTTP statuses, gRPC codes and errno strings) and throws a {@link PortError}: `transient` (a later try may
 * succeed: 429, 5xx, timeouts, dropped connections) or permanent (400, 403, 404…, which would fail the same way
 * forever). Use cases decide with {@link isTransient} only and never read an error's wire shape. A use case that
 * gives up on a transient failure throws {@link RetryLaterError}; the functions rethrow it, so Pub/Sub (applier) or
 * Eventarc (validator) redelivers the event later. See docs/architecture.md, "Errors".
 */

/** A failure of a port, classified by its adapter. Each port declares its own subclass (firewall, storage, publisher). */
export class PortError extends Error {
  constructor(
    message: string,
    /** True when a later try may succeed (the adapter's classification). */
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PortError';
  }
}

/**
 * A transient failure outlasted the in-process retries (or the wait the use case allows itself): thrown by the use
 * case so the trigger redelivers the event. The function entry points let it escape; nothing acknowledges it.
 */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** True for failures a later try may fix: a port error its adapter classified transient, or a RetryLaterError. */
export function isTransient(err: unknown): boolean {
  return err instanceof RetryLaterError || (err instanceof PortError && err.transient);
}
