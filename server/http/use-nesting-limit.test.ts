import { describe, expect, it } from '@jest/globals';
import { createSchema, createYoga } from 'graphql-yoga';
import { useErrorCodes } from './use-error-codes.js';
import { LIMITS, useLimits } from './use-limits.js';

const yoga = createYoga({
  schema: createSchema({
    typeDefs: 'scalar Any\ntype Query { echo(value: Any): String }',
    resolvers: { Query: { echo: () => 'ok' } },
  }),
  plugins: [...useLimits(), useErrorCodes()],
  logging: false,
});

async function ask(query: string): Promise<{ status: number; body: { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } }> {
  const response = await yoga.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as never };
}

/** `{ echo(value: [[…]]) }`: the selection set's brace and the arguments' parenthesis count too. */
const nestedTo = (depth: number) => `{ echo(value: ${'['.repeat(depth - 2)}"x"${']'.repeat(depth - 2)}) }`;

describe('the nesting limit', () => {
  it('accepts a document nested to the limit and refuses one level more', async () => {
    expect(await ask(nestedTo(LIMITS.nesting))).toEqual({ status: 200, body: { data: { echo: 'ok' } } });
    const refused = await ask(nestedTo(LIMITS.nesting + 1));
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ message: `Syntax Error: Nesting limit of ${LIMITS.nesting} exceeded.`, extensions: { code: 'QUERY_TOO_COMPLEX' } })]);
  });

  it('does not count brackets inside strings, block strings or comments', async () => {
    const brackets = '[{('.repeat(100);
    const query = `{ echo(value: ["${brackets}", """${brackets}"""]) # ${brackets}\n}`;
    expect(await ask(query)).toEqual({ status: 200, body: { data: { echo: 'ok' } } });
  });

  it('leaves a document that does not lex to the parser, which reports the first error', async () => {
    const refused = await ask('{ echo(: 1) "unterminated }');
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ message: 'Syntax Error: Expected Name, found ":".', extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
  });
});
