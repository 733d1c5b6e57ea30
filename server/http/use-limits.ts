// Limits on what one GraphQL document may ask for: depth, aliases, directives,
// tokens and cost (graphql-armor), and nesting (./use-nesting-limit.ts). The
// biggest legitimate operation here (the generated client's) is far below each.
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { Plugin } from 'graphql-yoga';
import { useNestingLimit } from './use-nesting-limit.js';

// Nesting counts every bracket, brace and parenthesis: the introspection query GraphiQL sends reaches 10.
export const LIMITS = { depth: 10, aliases: 15, directives: 20, tokens: 2000, cost: 5000, nesting: 32 };

export function useLimits(): Plugin[] {
  return [
    maxDepthPlugin({ n: LIMITS.depth, ignoreIntrospection: true, exposeLimits: true }),
    maxAliasesPlugin({ n: LIMITS.aliases, exposeLimits: true }),
    maxDirectivesPlugin({ n: LIMITS.directives, exposeLimits: true }),
    maxTokensPlugin({ n: LIMITS.tokens, exposeLimits: true }),
    costLimitPlugin({ maxCost: LIMITS.cost, ignoreIntrospection: true, exposeLimits: true }),
    // After the token limit, whose parse function it wraps.
    useNestingLimit({ n: LIMITS.nesting, tokens: LIMITS.tokens }),
  ] as Plugin[];
}
