// Logs the outcome of the anchorer's passes without flooding: callers that arrive while a
// pass runs share the next pass (the same promise), so its failure is logged once; while the
// same error repeats (bitcoind down) the repeats go to debug, so an outage is one warning,
// and its end one info line.
import type { Logger } from './log.ts';

export class PassWatch {
  private watched: Promise<void> | undefined;
  /** The error of the last failed pass, until one succeeds. */
  private failure: string | undefined;

  constructor(
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  watch(pass: Promise<void>): void {
    if (pass === this.watched) return;
    this.watched = pass;
    pass.then(
      () => {
        if (this.failure === undefined) return;
        this.log('info', `${this.what} succeeds again`, { lastError: this.failure });
        this.failure = undefined;
      },
      (err) => {
        const message = (err as Error)?.message ?? String(err);
        this.log(message === this.failure ? 'debug' : 'warn', `${this.what} failed`, { error: message });
        this.failure = message;
      },
    );
  }
}
