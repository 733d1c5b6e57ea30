// GraphiQL for a browser: a small page and the files it names, which are the
// GraphiQL build @graphql-yoga/render-graphiql ships (no CDN: the server works
// offline). That package inlines the whole build, about 9 MB, into every page it
// renders; here the build is read once, named by its content and kept in memory.
import type { GraphiQLOptions } from 'graphql-yoga';
import { ContentNamedFile, pageHeaders, type Bytes } from './static-file.js';

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

const PAGE_HEADERS = pageHeaders(GRAPHIQL_CSP);

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

interface Built {
  page: Bytes;
  files: ReadonlyMap<string, ContentNamedFile>;
}

/** GraphiQL's page and files for one server, built on first use (most servers never show it). */
export class GraphiQL {
  private built: Promise<Built> | undefined;

  constructor(private readonly options: GraphiQLOptions & { title: string }) {}

  async page(): Promise<{ headers: Record<string, string>; body: Bytes }> {
    return { headers: { ...PAGE_HEADERS }, body: (await this.build()).page };
  }

  /** A file of the page by its name, or null for a name the page does not use. */
  async file(name: string): Promise<ContentNamedFile | null> {
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
  const script = (stem: string, source: string) => new ContentNamedFile(GRAPHIQL_FILES_PATH, stem, 'js', 'text/javascript; charset=utf-8', Buffer.from(source));
  const favicon = /^data:image\/x-icon;base64,(.*)$/s.exec(bundle.favicon);
  const files = {
    start: script('start', START_SCRIPT),
    graphiql: script('graphiql', bundle.js),
    styles: new ContentNamedFile(GRAPHIQL_FILES_PATH, 'graphiql', 'css', 'text/css; charset=utf-8', Buffer.from(bundle.css)),
    editorWorker: script('editor-worker', bundle.editorWorkerService),
    jsonWorker: script('json-worker', bundle.jsonWorker),
    graphqlWorker: script('graphql-worker', bundle.graphqlWorker),
    ...(favicon ? { favicon: new ContentNamedFile(GRAPHIQL_FILES_PATH, 'favicon', 'ico', 'image/x-icon', Buffer.from(favicon[1]!, 'base64')) } : {}),
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
