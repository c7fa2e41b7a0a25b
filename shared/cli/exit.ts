/** Exit codes and the usage error of the `egress` CLI (a leaf module, so commands can import it without cycles). */

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** A usage problem found after parsing (e.g. a path that does not exist): exit 2 with the message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
