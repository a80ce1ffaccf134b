export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** A trace was recorded but the kernel lost events: it exists and is incomplete. */
export const EXIT_LOST_EVENTS = 3;
/** The archive was not sent and waits in the local queue. */
export const EXIT_QUEUED = 4;

/** An error the user can act on: printed as its message alone, with a stable code and exit status. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}
