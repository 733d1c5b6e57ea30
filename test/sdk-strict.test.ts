// A consumer project with the strictest common compiler flags compiles the
// generated SDK and the Node client as they are: we ship .ts, so the consumer's
// compiler checks our sources under its flags, whatever its skipLibCheck says.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SDK = join(ROOT, 'clients/generated/sdk.ts');
const NODE_CLIENT = join(ROOT, 'clients/node/index.ts');

const STRICT_CONSUMER: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  // DOM: graphql-request's declarations name HeadersInit, which @types/node 20 does not declare.
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  typeRoots: [join(ROOT, 'node_modules/@types')],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  // Declaration files are checked as well (see CHECKED below for which).
  skipLibCheck: false,
  noEmit: true,
};

// Imports go through the .js names a NodeNext project writes.
const CONSUMER = `
import type { ConnectionsQueryVariables, CreateProviderConfigInput } from '${SDK.replace(/\.ts$/, '.js')}';
import { Nango, NangoError, type Credentials } from '${NODE_CLIENT.replace(/\.ts$/, '.js')}';
import { createSdk } from '${join(ROOT, 'clients/node/graphql-client.js')}';

// Settings from the environment are string | undefined.
const sdk = createSdk({ host: 'http://localhost:3003', secretKey: process.env.NANGO_SECRET_KEY });
const nango = new Nango({ host: process.env.NANGO_HOSTPORT, secretKey: process.env.NANGO_SECRET_KEY });

export async function consume(after: string | undefined): Promise<string> {
  const { providerConfigs } = await sdk.ProviderConfigs();
  const first = providerConfigs[0];
  const variables: ConnectionsQueryVariables = { providerConfigKey: first?.key, first: 10, after };
  const { connections } = await sdk.Connections(variables, { signal: AbortSignal.timeout(5_000) });
  const { providers } = await sdk.Providers();
  await sdk.Providers({ search: undefined });

  const input: CreateProviderConfigInput = { key: 'github', provider: 'github', clientId: 'id', clientSecret: 'secret', scopes: ['repo'] };
  await nango.createProviderConfig(input);
  await nango.updateProviderConfig({ key: 'github', scopes: null, tokenUrl: undefined });
  const page = await nango.listConnections({ providerConfigKey: 'github', after: connections.pageInfo.endCursor ?? undefined });
  const credentials: Credentials = await nango.getCredentials('github', page.connections[0]?.connectionId ?? 'user-1');
  let token: string;
  try {
    const answer = await nango.getToken('github', 'user-1');
    // A token or API key, OAuth 1's token and secret, or Basic's username and password.
    token = typeof answer === 'string' ? answer : 'oAuthToken' in answer ? answer.oAuthToken : answer.username;
  } catch (error) {
    if (!(error instanceof NangoError)) throw error;
    token = error.code;
  }
  return [token, credentials.__typename, providers[0]?.name].join(' ');
}
`;

// Proof that the flags bite: with them, this line is an error.
const CONTROL = `export const unchecked = (list: string[]): string => list[0];\n`;

// What the SDK and the client bring into a consumer's program: our sources and
// the declarations of our runtime dependencies. The environment's own
// declarations (TypeScript's lib, @types/node and what it pulls in) are the
// consumer's choice, and checking them would triple the time; they pass as well.
const dependencies = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies as object);
function isChecked(fileName: string): boolean {
  if (!fileName.includes('/node_modules/')) return true;
  return dependencies.some((name) => fileName.startsWith(join(ROOT, 'node_modules', name) + '/'));
}

const folder = mkdtempSync(join(tmpdir(), 'sdk-strict-'));
const CONTROL_FILE = join(folder, 'control.ts');
let program: ts.Program;
let diagnostics: readonly ts.Diagnostic[];

// One program for both files: building one takes seconds.
beforeAll(() => {
  // "type": "module" makes the consumer ESM, as a NodeNext project importing our ESM must be.
  writeFileSync(join(folder, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(folder, 'consumer.ts'), CONSUMER);
  writeFileSync(CONTROL_FILE, CONTROL);
  program = ts.createProgram({ rootNames: [join(folder, 'consumer.ts'), CONTROL_FILE], options: STRICT_CONSUMER });
  const checked = program.getSourceFiles().filter((file) => isChecked(file.fileName));
  diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...checked.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ];
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function format(selected: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(selected, { getCanonicalFileName: (name) => name, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' });
}

describe('the generated SDK and the Node client in a strict consumer project', () => {
  it('compile under strict, exactOptionalPropertyTypes and noUncheckedIndexedAccess without skipLibCheck', () => {
    const files = program.getSourceFiles().map((source) => source.fileName);
    expect(files).toEqual(
      expect.arrayContaining([SDK, NODE_CLIENT, join(ROOT, 'clients/node/graphql-client.ts'), join(ROOT, 'node_modules/graphql-request/build/legacy/helpers/types.d.ts')]),
    );
    // All but the control file.
    expect(format(diagnostics.filter((diagnostic) => diagnostic.file?.fileName !== CONTROL_FILE))).toBe('');
  });

  it('holds the consumer to those flags (an unchecked index is refused)', () => {
    expect(format(diagnostics.filter((diagnostic) => diagnostic.file?.fileName === CONTROL_FILE))).toMatch(
      /control\.ts\(1,\d+\): error TS2322: Type 'string \| undefined' is not assignable to type 'string'/,
    );
  });
});
