// Refuses a GraphQL document nested deeper than the limit, before it is parsed:
// graphql-js parses a literal ([[[…]]], {a: {a: …}}) by recursion, and a couple
// of thousand levels, within the token limit, exhaust the stack.
import { GraphQLError, Lexer, Source, TokenKind, type Token } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLProtocolCode } from '../core/errors.js';

const OPENING = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * `tokens` is the token limit: past it the parser refuses the document anyway,
 * so the scan stops there rather than lex a token bomb to its end. Must come
 * after graphql-armor's token limit, which replaces the parse function outright.
 */
export function useNestingLimit({ n, tokens }: { n: number; tokens: number }): Plugin {
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        const document = typeof source === 'string' ? new Source(source) : source;
        const opening = firstTooDeep(document, n, tokens);
        if (opening) {
          const code: GraphQLProtocolCode = 'QUERY_TOO_COMPLEX';
          throw new GraphQLError(`Syntax Error: Nesting limit of ${n} exceeded.`, { source: document, positions: [opening.start], extensions: { code, http: { status: 400 } } });
        }
        return parseFn(source, options);
      });
    },
  };
}

/** The first bracket, brace or parenthesis opened deeper than `n`, found with the lexer (which skips strings and comments), not by recursion. */
function firstTooDeep(source: Source, n: number, tokens: number): Token | null {
  const lexer = new Lexer(source);
  let depth = 0;
  try {
    for (let seen = 0, token = lexer.advance(); token.kind !== TokenKind.EOF && seen < tokens; seen++, token = lexer.advance()) {
      if (OPENING.has(token.kind) && ++depth > n) return token;
      if (CLOSING.has(token.kind)) depth--;
    }
  } catch {
    // A lexical error is the parser's to report, at its own position.
  }
  return null;
}
