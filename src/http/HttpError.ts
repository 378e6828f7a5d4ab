/** An HTTP failure with the status and the reason the client gets as `{ error }`, and headers to send with it. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly reason: string, readonly headers?: Readonly<Record<string, string>>) {
    super(reason);
    this.name = 'HttpError';
  }
}

export const badRequest = (reason: string) => new HttpError(400, reason);
export const notFound = (reason: string) => new HttpError(404, reason);
export const forbidden = (reason: string) => new HttpError(403, reason);
