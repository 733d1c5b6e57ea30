// graphql-codegen plugin printing the SDK model as clients/go/generated.go:
// structs with json tags, enum string types, input structs and one *Client
// method per operation, laid out as gofmt lays them out.
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { buildSdkModel, type OperationModel, type ResultObject, type ResultUnion, type SdkModel, type TypeRef } from './sdk-model.js';

const INITIALISMS = new Set(['Api', 'Id', 'Url', 'Http', 'Https', 'Json', 'Pkce', 'Sql', 'Uri']);
const KEYWORDS = new Set('break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var'.split(' '));
const SCALARS: Record<string, string> = { String: 'string', ID: 'string', Int: 'int', Float: 'float64', Boolean: 'bool', DateTime: 'time.Time', JSON: 'json.RawMessage', StringMap: 'map[string]string' };

/** An exported Go name: connectionId -> ConnectionID, apiKey -> APIKey, OAUTH2_CC -> Oauth2Cc. */
export function exported(name: string): string {
  const words = name.includes('_') || name === name.toUpperCase() ? name.toLowerCase().split('_') : name.replace(/^_+/, '').split(/(?=[A-Z][a-z])|(?<=[a-z0-9])(?=[A-Z])/);
  return words
    .filter(Boolean)
    .map((word) => {
      const title = word[0]!.toUpperCase() + word.slice(1);
      return INITIALISMS.has(title) ? title.toUpperCase() : title;
    })
    .join('');
}

/** A Go parameter name: connectionId -> connectionID. */
function local(name: string): string {
  const upper = exported(name);
  const first = /^[A-Z]+(?=[A-Z][a-z]|$)/.exec(upper)?.[0] ?? upper[0]!;
  const plain = first.toLowerCase() + upper.slice(first.length);
  return KEYWORDS.has(plain) ? `${plain}Value` : plain;
}

function goType(type: TypeRef): string {
  if (type.kind === 'list') return `[]${goType(type.of)}`;
  const base = type.kind === 'scalar' ? scalar(type.name) : exported(type.name);
  // Slices, maps and raw JSON already have a nil; everything else nullable is a pointer.
  return type.nullable && !/^(\[\]|map\[|json\.RawMessage)/.test(base) ? `*${base}` : base;
}

/** An input field left out when nil, so every optional one is a pointer (an empty list is not "left out"). */
function optionalType(type: TypeRef): string {
  const base = goType({ ...type, nullable: false } as TypeRef);
  return `*${base}`;
}

function scalar(name: string): string {
  const mapped = SCALARS[name];
  if (!mapped) throw new Error(`The Go SDK has no type for the scalar ${name}: add it to SCALARS in codegen/go-sdk.ts.`);
  return mapped;
}

/** Rows of cells padded into columns, as gofmt's tabwriter does for consecutive lines. */
function align(rows: string[][], indent = '\t'): string[] {
  const widths: number[] = [];
  for (const row of rows) row.slice(0, -1).forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, column) => (column < row.length - 1 ? cell.padEnd(widths[column]! + 1) : cell)).join(''));
}

/** Struct or const lines: a comment line ends gofmt's alignment section, so each documented line stands alone. */
function block(entries: Array<{ doc: string | undefined; cells: string[] }>, indent = '\t'): string[] {
  const out: string[] = [];
  let run: string[][] = [];
  const flush = () => {
    out.push(...align(run, indent));
    run = [];
  };
  for (const entry of entries) {
    if (entry.doc) {
      flush();
      out.push(...comment(entry.doc, indent));
    }
    run.push(entry.cells);
  }
  flush();
  return out;
}

const comment = (text: string | undefined, indent = '') => (text ? text.split('\n').map((line) => `${indent}//${line ? ` ${line}` : ''}`) : []);

function emitEnum(model: SdkModel['enums'][number]): string[] {
  return [
    ...comment(model.description ?? `${exported(model.name)} is a GraphQL enum.`),
    `type ${exported(model.name)} string`,
    '',
    'const (',
    ...block(model.values.map((value) => ({ doc: value.description, cells: [`${exported(model.name)}${exported(value.name)}`, exported(model.name), `= ${JSON.stringify(value.name)}`] }))),
    ')',
  ];
}

function emitInput(model: SdkModel['inputs'][number]): string[] {
  return [
    ...comment(model.description ?? `${exported(model.name)}: nil fields are left out.`),
    `type ${exported(model.name)} struct {`,
    ...block(
      model.fields.map((field) => ({
        doc: field.description,
        cells: [exported(field.name), field.required ? goType(field.type) : optionalType(field.type), `\`json:"${field.name}${field.required ? '' : ',omitempty'}"\``],
      })),
    ),
    '}',
  ];
}

function emitObject(model: ResultObject): string[] {
  return [
    ...comment(model.description ?? `${exported(model.name)} is a ${model.schemaType} as the operations select it.`),
    `type ${exported(model.name)} struct {`,
    ...block(model.fields.map((field) => ({ doc: field.description, cells: [exported(field.name), goType(field.type), `\`json:"${field.name}"\``] }))),
    '}',
  ];
}

function emitUnion(model: ResultUnion): string[] {
  const name = exported(model.name);
  return [
    ...comment(model.description),
    `// ${name} holds exactly one member, chosen by __typename; the others are nil.`,
    `type ${name} struct {`,
    ...align([['Typename', 'string'], ...model.members.map((member) => [exported(member.object), `*${exported(member.object)}`])]),
    '}',
    '',
    `// UnmarshalJSON fills the member named by __typename.`,
    `func (u *${name}) UnmarshalJSON(data []byte) error {`,
    '\tvar head struct {',
    '\t\tTypename string `json:"__typename"`',
    '\t}',
    '\tif err := json.Unmarshal(data, &head); err != nil {',
    '\t\treturn err',
    '\t}',
    `\t*u = ${name}{Typename: head.Typename}`,
    '\tswitch head.Typename {',
    ...model.members.flatMap((member) => [
      `\tcase ${JSON.stringify(member.typename)}:`,
      `\t\tu.${exported(member.object)} = new(${exported(member.object)})`,
      `\t\treturn json.Unmarshal(data, u.${exported(member.object)})`,
    ]),
    '\t}',
    `\treturn fmt.Errorf("unknown ${name} member %q", head.Typename)`,
    '}',
  ];
}

const documentName = (operation: OperationModel) => `${local(operation.name)}Document`;

function emitDocument(operation: OperationModel): string[] {
  const text = operation.document;
  return text.includes('`') ? [`const ${documentName(operation)} = ${JSON.stringify(text)}`] : [`const ${documentName(operation)} = \`${text}\``];
}

function emitOptions(operation: OperationModel): string[] {
  const optional = operation.variables.filter((variable) => !variable.required);
  if (!optional.length) return [];
  return [
    `// ${operation.name}Options are the optional variables of ${operation.name}: nil ones are not sent.`,
    `type ${operation.name}Options struct {`,
    ...align(optional.map((variable) => [exported(variable.name), optionalType(variable.type)])),
    '}',
  ];
}

function emitMethod(operation: OperationModel): string[] {
  const required = operation.variables.filter((variable) => variable.required);
  const optional = operation.variables.filter((variable) => !variable.required);
  const parameters = ['ctx context.Context', ...required.map((variable) => `${local(variable.name)} ${goType(variable.type)}`)];
  if (optional.length) parameters.push(`options *${operation.name}Options`);
  const single = operation.rootField !== null;
  // A result that is a struct is returned by pointer, as Go callers expect of a value that may be absent on error.
  const structResult = (operation.type.kind === 'object' || operation.type.kind === 'union') && !operation.type.nullable;
  const resultType = structResult ? `*${goType(operation.type)}` : goType(operation.type);
  const zero = structResult || resultType.startsWith('*') || resultType.startsWith('[]') || resultType.startsWith('map[') ? 'nil' : resultType === 'bool' ? 'false' : resultType === 'string' ? '""' : `${resultType}{}`;
  const lines = [
    ...comment(operation.description ?? `${operation.name} sends the ${operation.kind} ${operation.name}.`).map((line, index) => (index === 0 ? line.replace(/^\/\/ /, `// ${operation.name}: `) : line)),
    `func (c *Client) ${operation.name}(${parameters.join(', ')}) (${resultType}, error) {`,
    `\tvariables := map[string]interface{}{${required.map((variable) => `${JSON.stringify(variable.name)}: ${local(variable.name)}`).join(', ')}}`,
  ];
  if (optional.length) {
    lines.push('\tif options != nil {');
    for (const variable of optional) {
      lines.push(`\t\tif options.${exported(variable.name)} != nil {`, `\t\t\tvariables[${JSON.stringify(variable.name)}] = *options.${exported(variable.name)}`, '\t\t}');
    }
    lines.push('\t}');
  }
  if (single) {
    lines.push('\tvar data struct {', `\t\tValue ${goType(operation.type)} \`json:"${operation.rootField}"\``, '\t}');
  } else {
    lines.push(`\tvar data struct{ Value ${goType(operation.type)} }`);
  }
  lines.push(
    `\tif err := c.execute(ctx, ${documentName(operation)}, variables, ${single ? '&data' : '&data.Value'}); err != nil {`,
    `\t\treturn ${zero}, err`,
    '\t}',
    `\treturn ${structResult ? '&data.Value' : 'data.Value'}, nil`,
    '}',
  );
  return lines;
}

export function printGo(model: SdkModel): string {
  const body: string[][] = [
    ...model.enums.map(emitEnum),
    ...model.inputs.map(emitInput),
    ...model.objects.map(emitObject),
    ...model.unions.map(emitUnion),
    ...model.operations.flatMap((operation) => [emitDocument(operation), ...(emitOptions(operation).length ? [emitOptions(operation)] : []), emitMethod(operation)]),
  ];
  const text = body.map((lines) => lines.join('\n')).join('\n\n');
  const imports = [['context', 'context.'], ['encoding/json', 'json.'], ['fmt', 'fmt.'], ['time', 'time.']].filter(([, use]) => text.includes(use!)).map(([name]) => `\t"${name}"`);
  const header = [
    '// Code generated by npm run codegen. DO NOT EDIT.',
    '',
    '// From schema/schema.graphql and codegen/*.graphql: every query and mutation;',
    `// subscriptions are not generated (this SDK speaks plain HTTP POST)${model.skipped.length ? `: ${model.skipped.join(', ')} left out.` : '.'}`,
    '',
    'package nango',
    '',
    'import (',
    ...imports,
    ')',
  ];
  return `${header.join('\n')}\n\n${text}\n`;
}

/** graphql-codegen's plugin entry point. */
export function plugin(schema: GraphQLSchema, documents: Array<{ document?: DocumentNode | undefined }>): string {
  return printGo(buildSdkModel(schema, documents.flatMap((file) => (file.document ? [file.document] : []))));
}
