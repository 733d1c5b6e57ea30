// Limits on what one GraphQL document may ask for (graphql-armor): depth,
// aliases, directives, tokens and cost. The biggest legitimate operation here
// (the generated client's) is far below each of them.
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { Plugin } from 'graphql-yoga';

export const LIMITS = { depth: 10, aliases: 15, directives: 20, tokens: 2000, cost: 5000 };

export function useLimits(): Plugin[] {
  return [
    maxDepthPlugin({ n: LIMITS.depth, ignoreIntrospection: true, exposeLimits: true }),
    maxAliasesPlugin({ n: LIMITS.aliases, exposeLimits: true }),
    maxDirectivesPlugin({ n: LIMITS.directives, exposeLimits: true }),
    maxTokensPlugin({ n: LIMITS.tokens, exposeLimits: true }),
    costLimitPlugin({ maxCost: LIMITS.cost, ignoreIntrospection: true, exposeLimits: true }),
  ] as Plugin[];
}
