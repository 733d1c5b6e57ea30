// graphql-codegen plugin printing the SDK model as the Python module
// clients/python/nango_graphql/_generated.py: dataclasses, enums, input
// dataclasses and an Operations class whose transport the hand-written client gives.
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { buildSdkModel, type InputField, type OperationModel, type ResultObject, type ResultUnion, type SdkModel, type TypeRef } from './sdk-model.js';

const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type'.split(' '),
);

const SCALARS: Record<string, string> = { String: 'str', ID: 'str', Int: 'int', Float: 'float', Boolean: 'bool', DateTime: 'datetime', JSON: 'Any', StringMap: 'dict[str, str]' };

/** GraphQL's camelCase as a Python name: connectionId -> connection_id, in -> in_. */
export function snake(name: string): string {
  const plain = name
    .replace(/^_+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
  return KEYWORDS.has(plain) ? `${plain}_` : plain;
}

function pyType(type: TypeRef): string {
  const base = type.kind === 'list' ? `list[${pyType(type.of)}]` : type.kind === 'scalar' ? scalar(type.name) : type.name;
  return type.nullable ? `Optional[${base}]` : base;
}

function scalar(name: string): string {
  const mapped = SCALARS[name];
  if (!mapped) throw new Error(`The Python SDK has no type for the scalar ${name}: add it to SCALARS in codegen/python-sdk.ts.`);
  return mapped;
}

/** The expression turning the JSON value `value` into `type`. */
function parse(value: string, type: TypeRef, depth = 0): string {
  if (type.nullable) {
    const inner = parse(value, { ...type, nullable: false } as TypeRef, depth);
    return inner === value ? value : `None if ${value} is None else ${inner}`;
  }
  switch (type.kind) {
    case 'list': {
      const item = `item${depth || ''}`;
      const inner = parse(item, type.of, depth + 1);
      return inner === item ? value : `[${inner} for ${item} in ${value}]`;
    }
    case 'scalar':
      return type.name === 'DateTime' ? `_datetime(${value})` : type.name === 'Float' ? `float(${value})` : value;
    case 'enum':
      return `${type.name}(${value})`;
    case 'object':
      return `${type.name}.from_json(${value})`;
    case 'union':
      return `_${snake(type.name)}_from_json(${value})`;
    case 'input':
      throw new Error('input types are never parsed');
  }
}

/** The expression turning the Python value `value` of `type` into JSON. */
function serialize(value: string, type: TypeRef, depth = 0): string {
  if (type.nullable) {
    const inner = serialize(value, { ...type, nullable: false } as TypeRef, depth);
    return inner === value ? value : `None if ${value} is None else ${inner}`;
  }
  switch (type.kind) {
    case 'list': {
      const item = `item${depth || ''}`;
      const inner = serialize(item, type.of, depth + 1);
      return inner === item ? value : `[${inner} for ${item} in ${value}]`;
    }
    case 'enum':
      return `${value}.value`;
    case 'input':
      return `${value}.to_json()`;
    default:
      return value;
  }
}

function docstring(text: string | undefined, indent: string): string[] {
  if (!text) return [];
  const safe = text.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');
  const lines = safe.split('\n');
  return lines.length === 1 ? [`${indent}"""${safe}"""`] : [`${indent}"""${lines[0]}`, ...lines.slice(1).map((line) => (line ? `${indent}${line}` : '')), `${indent}"""`];
}

const comment = (text: string | undefined, indent: string) => (text ? [`${indent}#: ${text.replace(/\s*\n\s*/g, ' ')}`] : []);

function emitEnum(model: SdkModel['enums'][number]): string[] {
  return [
    `class ${model.name}(str, Enum):`,
    ...docstring(model.description, '    '),
    ...(model.description ? [''] : []),
    ...model.values.flatMap((value) => [...comment(value.description, '    '), `    ${KEYWORDS.has(value.name) ? `${value.name}_` : value.name} = ${JSON.stringify(value.name)}`]),
  ];
}

function emitInput(model: SdkModel['inputs'][number]): string[] {
  // Required fields first: a dataclass field without a default cannot follow one with a default.
  const fields = [...model.fields.filter((field) => field.required), ...model.fields.filter((field) => !field.required)];
  const required = fields.filter((field) => field.required);
  const optional = fields.filter((field) => !field.required);
  return [
    '@dataclass',
    `class ${model.name}:`,
    ...docstring(model.description ?? 'Fields left as None are not sent.', '    '),
    '',
    ...fields.flatMap((field) => [...comment(field.description, '    '), `    ${snake(field.name)}: ${pyType(field.type)}${field.required ? '' : ' = None'}`]),
    '',
    '    def to_json(self) -> dict[str, Any]:',
    `        data: dict[str, Any] = {${required.map((field) => `${JSON.stringify(field.name)}: ${serialize(`self.${snake(field.name)}`, field.type)}`).join(', ')}}`,
    ...optional.flatMap((field) => [
      `        if self.${snake(field.name)} is not None:`,
      `            data[${JSON.stringify(field.name)}] = ${serialize(`self.${snake(field.name)}`, { ...field.type, nullable: false } as TypeRef)}`,
    ]),
    '        return data',
  ];
}

function emitObject(model: ResultObject): string[] {
  return [
    '@dataclass(frozen=True)',
    `class ${model.name}:`,
    ...docstring(model.description ?? `A ${model.schemaType}, as the operations select it.`, '    '),
    '',
    ...model.fields.flatMap((field) => [...comment(field.description, '    '), `    ${snake(field.name)}: ${pyType(field.type)}`]),
    '',
    '    @classmethod',
    `    def from_json(cls, data: Any) -> ${model.name}:`,
    ...(model.fields.length === 0
      ? ['        return cls()']
      : ['        return cls(', ...model.fields.map((field) => `            ${snake(field.name)}=${parse(`data[${JSON.stringify(field.name)}]`, field.type)},`), '        )']),
  ];
}

function emitUnion(model: ResultUnion): string[] {
  return [`${model.name} = Union[${model.members.map((member) => member.object).join(', ')}]`, ...docstring(model.description, '')];
}

function emitUnionParser(model: ResultUnion): string[] {
  return [
    `def _${snake(model.name)}_from_json(data: Any) -> ${model.name}:`,
    '    typename = data["__typename"]',
    ...model.members.flatMap((member) => [`    if typename == ${JSON.stringify(member.typename)}:`, `        return ${member.object}.from_json(data)`]),
    `    raise ValueError(f"unknown ${model.name} member {typename!r}")`,
  ];
}

const documentName = (operation: OperationModel) => `_${snake(operation.name).toUpperCase()}`;

function emitDocument(operation: OperationModel): string[] {
  const text = operation.document;
  if (text.includes('\\') || text.includes('"""')) return [`${documentName(operation)} = ${JSON.stringify(text)}`];
  return [`${documentName(operation)} = """`, ...text.split('\n'), '"""'];
}

function parameter(variable: InputField): string {
  return `${snake(variable.name)}: ${pyType(variable.required ? variable.type : { ...variable.type, nullable: true })}${variable.required ? '' : ' = None'}`;
}

function emitMethod(operation: OperationModel): string[] {
  const required = operation.variables.filter((variable) => variable.required);
  const optional = operation.variables.filter((variable) => !variable.required);
  const parameters = operation.variables.length ? ['self', '*', ...operation.variables.map(parameter)] : ['self'];
  const result = operation.rootField === null ? 'data' : `data[${JSON.stringify(operation.rootField)}]`;
  return [
    `    def ${snake(operation.name)}(${parameters.join(', ')}) -> ${pyType(operation.type)}:`,
    ...docstring(operation.description ?? `The ${operation.kind} ${operation.name}.`, '        '),
    `        variables: dict[str, Any] = {${required.map((variable) => `${JSON.stringify(variable.name)}: ${serialize(snake(variable.name), variable.type)}`).join(', ')}}`,
    ...optional.flatMap((variable) => [
      `        if ${snake(variable.name)} is not None:`,
      `            variables[${JSON.stringify(variable.name)}] = ${serialize(snake(variable.name), { ...variable.type, nullable: false } as TypeRef)}`,
    ]),
    `        data = self._execute(${documentName(operation)}, variables)`,
    `        return ${parse(result, operation.type)}`,
  ];
}

export function printPython(model: SdkModel): string {
  const blocks: string[][] = [
    [
      '# Generated by `npm run codegen` from schema/schema.graphql and codegen/*.graphql. Do not edit by hand.',
      `# Every query and mutation is here; subscriptions are not (this SDK speaks plain HTTP POST)${model.skipped.length ? `: ${model.skipped.join(', ')} left out.` : '.'}`,
      '"""The typed operations of the Nango GraphQL API: result dataclasses, enums, inputs and one method per operation."""',
      'from __future__ import annotations',
      '',
      'from dataclasses import dataclass',
      'from datetime import datetime',
      'from enum import Enum',
      'from typing import Any, Optional, Union',
      '',
      '__all__ = [',
      ...[...model.enums, ...model.inputs, ...model.objects, ...model.unions, { name: 'Operations' }]
        .map((entry) => entry.name)
        .sort()
        .map((name) => `    ${JSON.stringify(name)},`),
      ']',
    ],
    [
      'def _datetime(value: str) -> datetime:',
      '    # fromisoformat reads a trailing Z only from Python 3.11 on.',
      '    return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)',
    ],
    ...model.enums.map(emitEnum),
    ...model.inputs.map(emitInput),
    ...model.objects.map(emitObject),
    ...model.unions.map(emitUnion),
    ...model.unions.map(emitUnionParser),
    ...model.operations.map(emitDocument),
    [
      'class Operations:',
      '    """One method per query and mutation of codegen/*.graphql; the subclass sends them."""',
      '',
      '    def _execute(self, document: str, variables: dict[str, Any]) -> Any:',
      '        raise NotImplementedError',
      ...model.operations.flatMap((operation) => ['', ...emitMethod(operation)]),
    ],
  ];
  return `${blocks.map((block) => block.join('\n')).join('\n\n\n')}\n`;
}

/** graphql-codegen's plugin entry point. */
export function plugin(schema: GraphQLSchema, documents: Array<{ document?: DocumentNode | undefined }>): string {
  return printPython(buildSdkModel(schema, documents.flatMap((file) => (file.document ? [file.document] : []))));
}
