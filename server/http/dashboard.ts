// The dashboard's page and files: its sources (clients/dashboard, Preact) are
// bundled by esbuild on the first visit, minified, and served under names that
// change with their content, cached as immutable; the page itself is small and
// fetched again on every visit. Built from the repository's sources by the
// running server (esbuild is a production dependency), so nothing built is
// committed and a dashboard never lags behind its server.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { ContentNamedFile, pageHeaders, type Bytes } from './static-file.js';

/** Where the dashboard's files are served (routes.ts). */
export const DASHBOARD_FILES_PATH = '/dashboard/assets';

const ENTRY = fileURLToPath(new URL('../../clients/dashboard/main.tsx', import.meta.url));

/**
 * Its own scripts and styles only, nothing inline, calls to this server alone;
 * nobody may frame it (the page acts with the operator's authority).
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = pageHeaders(CSP);

interface Built {
  page: Bytes;
  files: ReadonlyMap<string, ContentNamedFile>;
}

export class Dashboard {
  private built: Promise<Built> | undefined;

  async page(): Promise<{ headers: Record<string, string>; body: Bytes }> {
    return { headers: { ...PAGE_HEADERS }, body: (await this.build()).page };
  }

  /** A file of the page by its content name, or null. */
  async file(name: string): Promise<ContentNamedFile | null> {
    return (await this.build()).files.get(name) ?? null;
  }

  private build(): Promise<Built> {
    return (this.built ??= bundle().catch((error: unknown) => {
      this.built = undefined;
      throw error;
    }));
  }
}

async function bundle(): Promise<Built> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: 'out',
    logLevel: 'silent',
    legalComments: 'none',
  });
  const script = result.outputFiles.find((file) => file.path.endsWith('.js'));
  const style = result.outputFiles.find((file) => file.path.endsWith('.css'));
  if (!script) throw new Error('the dashboard bundle has no script');
  const files = [
    new ContentNamedFile(DASHBOARD_FILES_PATH, 'dashboard', 'js', 'text/javascript; charset=utf-8', Buffer.from(script.contents)),
    ...(style ? [new ContentNamedFile(DASHBOARD_FILES_PATH, 'dashboard', 'css', 'text/css; charset=utf-8', Buffer.from(style.contents))] : []),
  ];
  const [scriptFile, styleFile] = files;
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Nango token service</title>
${styleFile ? `<link rel="stylesheet" href="${styleFile.path}">\n` : ''}<script type="module" src="${scriptFile!.path}"></script>
</head>
<body>
<noscript>The dashboard needs JavaScript. The GraphQL API (/graphql), the REST API and the nango CLI work without it.</noscript>
<div id="app"></div>
</body>
</html>
`;
  return { page: Buffer.from(page), files: new Map(files.map((file) => [file.name, file])) };
}
