/** Reads a server-sent-events response in specs: accumulates its text, waits (bounded) for a pattern. */
export class SseReader {
  text = '';
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private pending?: Promise<ReadableStreamReadResult<Uint8Array>>;
  ended = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** Reads until the text matches (and returns the match) or the deadline passes. */
  async until(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.text.match(pattern);
      if (found) return found;
      if (this.ended) throw new Error(`stream ended without ${pattern}; got:\n${this.text}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${pattern} within ${timeoutMs} ms; got:\n${this.text}`);
      this.pending ??= this.reader.read();
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        this.pending,
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), left))),
      ]);
      clearTimeout(timer);
      if (result === undefined) continue;
      this.pending = undefined;
      if (result.done) this.ended = true;
      else this.text += this.decoder.decode(result.value, { stream: true });
    }
  }

  /** The `data:` of every `event: alert` received so far. */
  alerts(): Array<Record<string, unknown>> {
    return [...this.text.matchAll(/event: alert\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]));
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}
