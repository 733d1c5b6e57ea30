// GraphQL over server-sent events, as the service answers a subscription
// (POST /graphql, accept: text/event-stream): each `next` event's result in
// turn, until the server sends `complete` or the caller stops reading.

export interface GraphQLResult<R> {
  data?: R | null;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }>;
}

/**
 * The results of one subscription. An answer that is not a stream (the
 * request refused before it began) is yielded as its one result. Leaving the
 * loop, or `signal`, closes the request.
 */
export async function* graphqlEventStream<R>(init: { body: string; headers: Record<string, string>; signal?: AbortSignal | undefined; onOpen?: (() => void) | undefined }): AsyncGenerator<GraphQLResult<R>> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  init.signal?.addEventListener('abort', abort);
  try {
    const response = await fetch('/graphql', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { ...init.headers, accept: 'text/event-stream' },
      body: init.body,
      signal: controller.signal,
    });
    if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
      yield ((await response.json().catch(() => null)) as GraphQLResult<R> | null) ?? { errors: [{ message: `The service answered HTTP ${response.status} to a subscription.`, extensions: { code: 'bad_response' } }] };
      return;
    }
    init.onOpen?.();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1];
        if (event === 'complete') return;
        if (event !== 'next') continue;
        // A result's data may span several data: lines, joined by newlines.
        const data = [...block.matchAll(/^data: ?(.*)$/gm)].map((line) => line[1]).join('\n');
        yield JSON.parse(data) as GraphQLResult<R>;
      }
    }
  } finally {
    init.signal?.removeEventListener('abort', abort);
    controller.abort();
  }
}
