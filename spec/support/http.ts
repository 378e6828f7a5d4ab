/** A JSON HTTP client for route specs: `call(method, path, body?, rawBody?)` → status and parsed body. */
export interface JsonReply {
  readonly status: number;
  // Specs assert on arbitrary response shapes.
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function jsonClient(base: () => string) {
  return async (method: string, path: string, body?: unknown, raw?: string): Promise<JsonReply> => {
    const res = await fetch(base() + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}
