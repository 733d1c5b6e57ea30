// GraphiQL for a browser: a small page and the files it names, which are the
// GraphiQL build @graphql-yoga/render-graphiql ships (no CDN: the server works
// offline). That package inlines the whole build, about 9 MB, into every page it
// renders; here the build is read once, named by its content and kept in memory.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { GraphiQLOptions } from 'graphql-yoga';

/** Bytes as a web Response takes them. */
type Bytes = Buffer<ArrayBuffer>;

/** Where the page's files are served (routes.ts). */
export const GRAPHIQL_FILES_PATH = '/graphql/assets';

/**
 * Scripts only from this server, none inline and no eval; GraphiQL's editor
 * (Monaco) runs its workers from files here too, and its stylesheet carries its
 * fonts and icons as data: URLs. Monaco and React set styles at run time, hence
 * 'unsafe-inline' for styles only. Nobody may frame the page.
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  // Small, and it says whether the server wants a key: fetched again on each visit.
  'cache-control': 'no-cache',
  'content-security-policy': GRAPHIQL_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

/**
 * Runs before GraphiQL's bundle (both deferred, in order): Monaco reads its
 * environment when the bundle loads and starts its workers from these files
 * instead of the blob: URLs render-graphiql makes (which a CSP would have to allow).
 */
const START_SCRIPT = `(function () {
  var options = JSON.parse(document.getElementById('graphiql-options').textContent);
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: function (_moduleId, label) {
      return options.workers[label];
    },
  };
  document.addEventListener('DOMContentLoaded', function () {
    YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options.graphiql);
  });
})();
`;

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

/** One of the page's files, as it is served. */
class GraphiQLFile {
  readonly name: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Compressed copies, or the promise of one under way. */
  private readonly compressed = new Map<Encoding, Bytes | Promise<void>>();

  constructor(
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
    return `${GRAPHIQL_FILES_PATH}/${this.name}`;
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

interface Built {
  page: Bytes;
  files: ReadonlyMap<string, GraphiQLFile>;
}

/** GraphiQL's page and files for one server, built on first use (most servers never show it). */
export class GraphiQL {
  private built: Promise<Built> | undefined;

  constructor(private readonly options: GraphiQLOptions & { title: string }) {}

  async page(): Promise<{ headers: Record<string, string>; body: Bytes }> {
    return { headers: { ...PAGE_HEADERS }, body: (await this.build()).page };
  }

  /** A file of the page by its name, or null for a name the page does not use. */
  async file(name: string): Promise<GraphiQLFile | null> {
    return (await this.build()).files.get(name) ?? null;
  }

  private build(): Promise<Built> {
    return (this.built ??= buildGraphiQL(this.options).catch((error: unknown) => {
      this.built = undefined;
      throw error;
    }));
  }
}

async function buildGraphiQL(options: GraphiQLOptions & { title: string }): Promise<Built> {
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const script = (stem: string, source: string) => new GraphiQLFile(stem, 'js', 'text/javascript; charset=utf-8', Buffer.from(source));
  const favicon = /^data:image\/x-icon;base64,(.*)$/s.exec(bundle.favicon);
  const files = {
    start: script('start', START_SCRIPT),
    graphiql: script('graphiql', bundle.js),
    styles: new GraphiQLFile('graphiql', 'css', 'text/css; charset=utf-8', Buffer.from(bundle.css)),
    editorWorker: script('editor-worker', bundle.editorWorkerService),
    jsonWorker: script('json-worker', bundle.jsonWorker),
    graphqlWorker: script('graphql-worker', bundle.graphqlWorker),
    ...(favicon ? { favicon: new GraphiQLFile('favicon', 'ico', 'image/x-icon', Buffer.from(favicon[1]!, 'base64')) } : {}),
  };
  const settings = {
    // Monaco asks for its workers by these labels.
    workers: { editorWorkerService: files.editorWorker.path, json: files.jsonWorker.path, graphql: files.graphqlWorker.path },
    graphiql: options,
  };
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
${files.favicon ? `<link rel="icon" href="${files.favicon.path}">\n` : ''}<link rel="stylesheet" href="${files.styles.path}">
<script type="application/json" id="graphiql-options">${jsonInHtml(settings)}</script>
<script defer src="${files.start.path}"></script>
<script defer src="${files.graphiql.path}"></script>
</head>
<body id="body" class="no-focus-outline">
<noscript>You need to enable JavaScript to run GraphiQL.</noscript>
<div id="root"></div>
</body>
</html>
`;
  return { page: Buffer.from(page), files: new Map(Object.values(files).map((file) => [file.name, file])) };
}

/** JSON that cannot end the script element holding it. */
function jsonInHtml(value: unknown): string {
  return JSON.stringify(value).replaceAll('<', '\\u003c').replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
