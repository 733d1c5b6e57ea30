// The body of a proxied request: kept in memory when it is small (so that the
// call can be made again after a refresh or a 429), streamed on otherwise, and
// never allowed past the upload limit, which is counted as the bytes arrive
// rather than trusted from Content-Length.
import { Readable } from 'node:stream';
import { AppError } from './errors.js';

/** What the proxy sends: nothing, the bytes (replayable), or the caller's stream (sent once). */
export type ProxyBody = { kind: 'none' } | { kind: 'bytes'; bytes: Buffer } | { kind: 'stream'; stream: LimitedStream; length: number | null };

export interface BodyLimits {
  /** Bodies up to this size are kept in memory and replayable. */
  replayBytes: number;
  /** No body may be larger (NANGO_PROXY_MAX_UPLOAD_BYTES). */
  uploadBytes: number;
  /** The longest pause between two chunks (NANGO_PROXY_TIMEOUT_MS): an upload may take as long as it keeps coming. */
  idleMs: number;
}

function bodyCutOff(cause?: unknown): AppError {
  return new AppError('invalid_input', 'The request body was cut off, or paused longer than the proxy waits.', { field: 'body' }, { cause });
}

export function uploadTooLarge(limit: number): AppError {
  return new AppError('payload_too_large', `The request body is over the proxy's upload limit of ${limit} bytes (NANGO_PROXY_MAX_UPLOAD_BYTES).`);
}

/** A body stream whose bytes are counted as they pass: past the limit it fails, and `exceeded` says why. */
export class LimitedStream extends Readable {
  exceeded = false;
  private reading = false;

  private idle: NodeJS.Timeout;

  constructor(
    private readonly prefix: Buffer[],
    private readonly rest: Readable,
    private received: number,
    private readonly limit: number,
    idleMs: number,
  ) {
    super();
    // A caller that stops sending half way: the upload ends rather than holding the provider's socket.
    this.idle = setTimeout(() => this.cutOff(), idleMs);
    rest.on('error', (error) => this.destroy(error));
    rest.on('end', () => {
      clearTimeout(this.idle);
      this.push(null);
    });
    rest.on('close', () => clearTimeout(this.idle));
    rest.on('data', (chunk: Buffer) => {
      this.idle.refresh();
      this.received += chunk.length;
      if (this.received > this.limit) {
        this.exceeded = true;
        rest.pause();
        this.destroy(uploadTooLarge(this.limit));
        return;
      }
      if (!this.push(chunk)) rest.pause();
    });
    rest.pause();
  }

  private cutOff(): void {
    this.destroy(bodyCutOff());
    this.rest.destroy();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.idle);
    callback(error);
  }

  override _read(): void {
    if (!this.reading) {
      this.reading = true;
      for (const chunk of this.prefix) this.push(chunk);
      this.prefix.length = 0;
    }
    this.rest.resume();
  }
}

/**
 * Reads up to `limits.replayBytes` of the caller's body: all of it fits, and it
 * is kept; or it does not, and what was read goes first, the rest following
 * as it arrives. `declared` is the Content-Length, if any (refused at once
 * when over the upload limit); without one, a body is read only if it
 * `mayHaveBody` (chunked, or a method that carries one: an empty stream ends at once).
 */
export async function proxyBody(open: () => Readable, declared: number | null, mayHaveBody: boolean, limits: BodyLimits): Promise<ProxyBody> {
  if (declared === null && !mayHaveBody) return { kind: 'none' };
  if (declared !== null && declared > limits.uploadBytes) throw uploadTooLarge(limits.uploadBytes);
  if (declared === 0) return { kind: 'none' };
  const source = open();
  const chunks: Buffer[] = [];
  let size = 0;
  const ended = await new Promise<boolean>((resolve, reject) => {
    const idle = setTimeout(() => source.destroy(), limits.idleMs);
    const onData = (chunk: Buffer) => {
      idle.refresh();
      chunks.push(chunk);
      size += chunk.length;
      if (size > limits.replayBytes) {
        source.pause();
        cleanup();
        resolve(false);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(true);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(bodyCutOff(error));
    };
    const onClose = () => {
      cleanup();
      reject(bodyCutOff());
    };
    const cleanup = () => {
      clearTimeout(idle);
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
    };
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    source.on('close', onClose);
  });
  if (ended) {
    if (size > limits.uploadBytes) throw uploadTooLarge(limits.uploadBytes);
    return size === 0 ? { kind: 'none' } : { kind: 'bytes', bytes: Buffer.concat(chunks) };
  }
  if (size > limits.uploadBytes) throw uploadTooLarge(limits.uploadBytes);
  return { kind: 'stream', stream: new LimitedStream(chunks, source, size, limits.uploadBytes, limits.idleMs), length: declared };
}
