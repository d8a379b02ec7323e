/**
 * Why a report was not written. `unknown-run`: no run has that id. `bad-output`: the output path cannot be a
 * report (a folder, or under a file). `bad-input`: a bad option (a time zone, a time window). `write-failed`:
 * the file system refused (permissions, a full or read-only disk). Messages name the path and the reason.
 */
export type ReportErrorCode = 'unknown-run' | 'bad-output' | 'bad-input' | 'write-failed';

export class ReportError extends Error {
  constructor(
    readonly code: ReportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReportError';
  }
}
