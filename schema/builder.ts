// The Pothos builder and the root types. Object types live one per file.
import SchemaBuilder from '@pothos/core';
import type { Core } from '../server/core/core.js';

export interface Context {
  core: Core;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  defaultFieldNullability: false,
});

builder.queryType({});
builder.mutationType({});
