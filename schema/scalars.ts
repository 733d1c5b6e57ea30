// Custom scalars.
import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.js';

function parseDateTime(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string');
  return date;
}

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO-8601 string in UTC (e.g. 2026-01-31T12:00:00.000Z).',
  serialize: (value) => (typeof value === 'string' ? value : value.toISOString()),
  parseValue: parseDateTime,
  parseLiteral: (node) => parseDateTime(node.kind === Kind.STRING ? node.value : undefined),
});

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
});
