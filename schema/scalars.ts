// Custom scalars.
import { GraphQLError, Kind, type ValueNode } from 'graphql';
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

function parseStringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GraphQLError('StringMap must be an object whose values are strings');
  for (const item of Object.values(value)) {
    if (typeof item !== 'string') throw new GraphQLError('StringMap must be an object whose values are strings');
  }
  return { ...(value as Record<string, string>) };
}

function stringMapLiteral(node: ValueNode): Record<string, string> {
  if (node.kind !== Kind.OBJECT) throw new GraphQLError('StringMap must be an object whose values are strings');
  return parseStringMap(Object.fromEntries(node.fields.map((field) => [field.name.value, field.value.kind === Kind.STRING ? field.value.value : null])));
}

builder.scalarType('StringMap', {
  description: 'An object whose values are strings, e.g. { "hostname": "gitlab.example.com" }.',
  serialize: (value) => value,
  parseValue: parseStringMap,
  parseLiteral: stringMapLiteral,
});
