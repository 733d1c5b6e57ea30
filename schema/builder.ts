// The Pothos builder and the root types. Object types live one per file.
import SchemaBuilder from '@pothos/core';
import type { Core } from '../server/core/core.js';
import type { Principal } from '../server/core/principal.js';

export interface Context {
  core: Core;
  /** Who is calling, as the HTTP edge proved it. */
  principal: Principal;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    // Output: a Date, or an instant Postgres already wrote in ISO form (a list's summaries).
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    StringMap: { Input: Record<string, string>; Output: Record<string, string> };
  };
}>({
  defaultFieldNullability: false,
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
