// Static files named by their content, for the pages the server renders
// (GraphiQL's, the dashboard's): cached as immutable, compressed with brotli or
// gzip once, off the event loop, on the first request that accepts it.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/** Bytes as a web Response takes them. */
export type Bytes = Buffer<ArrayBuffer>;

/** The headers of a page that names such files: fetched again on each visit (it is small), never framed, under `csp`. */
export function pageHeaders(csp: string): Readonly<Record<string, string>> {
  return Object.freeze({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-cache',
    'content-security-policy': csp,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
}

const ONE_YEAR = 31_536_000;

type Encoding = 'br' | 'gzip';
/** Best first. */
const ENCODINGS: readonly Encoding[] = ['br', 'gzip'];

const COMPRESS: Record<Encoding, (bytes: Bytes) => Promise<Bytes>> = {
  br: (bytes) =>
    promisify(zlib.brotliCompress)(bytes, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }),
  gzip: (bytes) => promisify(zlib.gzip)(bytes, { level: 9 }),
};

/**
 * A file named by its content (`stem.<sha256 prefix>.ext`), served from
 * `folder`: cached as immutable, since a new content is a new name, and
 * compressed once per encoding.
 */
export class ContentNamedFile {
  readonly name: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Compressed copies, or the promise of one under way. */
  private readonly compressed = new Map<Encoding, Bytes | Promise<void>>();

  constructor(
    private readonly folder: string,
    stem: string,
    extension: string,
    contentType: string,
    readonly bytes: Bytes,
  ) {
    this.name = `${stem}.${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.${extension}`;
    this.headers = Object.freeze({
      'content-type': contentType,
      // The name changes with the content, so a copy never goes stale.
      'cache-control': `public, max-age=${ONE_YEAR}, immutable`,
      'x-content-type-options': 'nosniff',
      'cross-origin-resource-policy': 'same-origin',
      vary: 'accept-encoding',
    });
  }

  get path(): string {
    return `${this.folder}/${this.name}`;
  }

  /**
   * The bytes for a request's Accept-Encoding: the best copy it accepts (brotli,
   * then gzip), made once, off the event loop, on the first request that wants
   * it; meanwhile another copy it accepts or the plain bytes, so that no request
   * waits on compression.
   */
  answer(acceptEncoding: string | undefined): { headers: Record<string, string>; body: Bytes } {
    const accepted = acceptedEncodings(acceptEncoding);
    const preferred = ENCODINGS.find((encoding) => accepted.has(encoding));
    if (preferred && !this.compressed.has(preferred)) {
      this.compressed.set(
        preferred,
        COMPRESS[preferred](this.bytes).then(
          (made) => void this.compressed.set(preferred, made),
          // Never expected; the plain bytes keep being served.
          () => undefined,
        ),
      );
    }
    for (const encoding of ENCODINGS) {
      const copy = this.compressed.get(encoding);
      if (accepted.has(encoding) && Buffer.isBuffer(copy)) return { headers: { ...this.headers, 'content-encoding': encoding }, body: copy };
    }
    return { headers: { ...this.headers }, body: this.bytes };
  }
}

/** The encodings a request accepts (q=0 refuses one). */
function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  if (!header) return accepted;
  for (const part of header.split(',')) {
    const [name = '', ...parameters] = part.trim().toLowerCase().split(';');
    const q = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    accepted.add(name.trim());
  }
  return accepted;
}

