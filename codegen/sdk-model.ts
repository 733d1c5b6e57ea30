// The language-neutral form of the SDK that the Python and Go emitters print:
// codegen/*.graphql walked once against the schema into named result types,
// unions, enums, input types and operations (subscriptions left out).
import {
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLUnionType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  Kind,
  print,
  typeFromAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** A type as a field, variable or result holds it: every level says whether it may be null. */
export type TypeRef = { nullable: boolean } & (
  | { kind: 'scalar'; name: string }
  | { kind: 'enum' | 'input' | 'object' | 'union'; name: string }
  | { kind: 'list'; of: TypeRef }
);

export interface ResultField {
  /** The key in the response (the alias when there is one). */
  name: string;
  description: string | undefined;
  type: TypeRef;
}

/** One selection shape on one schema object type, under the name the SDKs give it. */
export interface ResultObject {
  name: string;
  schemaType: string;
  description: string | undefined;
  fields: ResultField[];
}

/** A selection on a union: one member object per possible type, told apart by __typename. */
export interface ResultUnion {
  name: string;
  description: string | undefined;
  members: Array<{ typename: string; object: string }>;
}

export interface EnumModel {
  name: string;
  description: string | undefined;
  values: Array<{ name: string; description: string | undefined }>;
}

export interface InputField {
  name: string;
  description: string | undefined;
  type: TypeRef;
  /** Non-null without a default: the caller must give it. */
  required: boolean;
}

export interface InputModel {
  name: string;
  description: string | undefined;
  fields: InputField[];
}

export interface OperationModel {
  name: string;
  kind: 'query' | 'mutation';
  /** The operation and the fragments it uses, printed: what is sent. */
  document: string;
  variables: InputField[];
  /** The operation's only root field (its value is the result), or null when it has several (the result is `type`, an object of them). */
  rootField: string | null;
  description: string | undefined;
  type: TypeRef;
}

export interface SdkModel {
  enums: EnumModel[];
  inputs: InputModel[];
  objects: ResultObject[];
  unions: ResultUnion[];
  operations: OperationModel[];
  /** Subscription operations found and not generated (the SDKs speak plain HTTP POST). */
  skipped: string[];
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Walks every operation and fragment. A selection set made only of one fragment
 * spread is that fragment's type; any other selection on an object type is a
 * shape, and shapes are named after the schema type when it is the only shape
 * of that type outside fragments, else `{Operation}{Type}`
 * (`{Operation}Result` for a root field). Everything is sorted by name, so the
 * output does not depend on the order of the files.
 */
export function buildSdkModel(schema: GraphQLSchema, documents: DocumentNode[]): SdkModel {
  const definitions = documents.flatMap((document) => document.definitions);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const operations = definitions
    .filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)
    .sort((a, b) => byName({ name: a.name?.value ?? '' }, { name: b.name?.value ?? '' }));

  const enums = new Set<string>();
  const inputs = new Set<string>();
  // Shapes found, before naming: signature -> shape; each field's nested shape is referenced by signature.
  interface Shape {
    signature: string;
    schemaType: string;
    owner: string;
    root: boolean;
    fragment: string | null;
    union: boolean;
    fields: Array<{ name: string; description: string | undefined; type: TypeRef }>;
    members: Array<{ typename: string; signature: string }>;
  }
  const shapes = new Map<string, Shape>();

  const refer = (type: GraphQLOutputType, leaf: (named: GraphQLObjectType | GraphQLUnionType) => string): TypeRef => {
    if (isNonNullType(type)) return { ...refer(type.ofType, leaf), nullable: false };
    if (isListType(type)) return { kind: 'list', of: refer(type.ofType, leaf), nullable: true };
    if (isScalarType(type)) return { kind: 'scalar', name: type.name, nullable: true };
    if (isEnumType(type)) {
      enums.add(type.name);
      return { kind: 'enum', name: type.name, nullable: true };
    }
    if (isObjectType(type)) return { kind: 'object', name: leaf(type), nullable: true };
    if (isUnionType(type)) return { kind: 'union', name: leaf(type), nullable: true };
    throw new Error(`The SDK generator does not handle the type ${String(type)} (interfaces are not used by this schema).`);
  };

  /** The fields selected on `type`, fragments spread in; nested selections become shapes. */
  const selectedFields = (type: GraphQLObjectType, selectionSet: SelectionSetNode, owner: string): Shape['fields'] => {
    const fields = new Map<string, Shape['fields'][number]>();
    const visit = (set: SelectionSetNode) => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          const fragment = fragments.get(selection.name.value);
          if (!fragment) throw new Error(`Unknown fragment ${selection.name.value}`);
          if (fragment.typeCondition.name.value === type.name) visit(fragment.selectionSet);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition?.name.value;
          if (condition === undefined || condition === type.name) visit(selection.selectionSet);
        } else {
          const key = selection.alias?.value ?? selection.name.value;
          if (fields.has(key)) continue;
          if (selection.name.value === '__typename') {
            fields.set(key, { name: key, description: 'The GraphQL type name.', type: { kind: 'scalar', name: 'String', nullable: false } });
            continue;
          }
          const field = type.getFields()[selection.name.value];
          if (!field) throw new Error(`${type.name} has no field ${selection.name.value}`);
          const nested = selection.selectionSet;
          const fieldType = refer(field.type, (named) => shapeOf(named, nested!, owner, false));
          fields.set(key, { name: key, description: field.description ?? undefined, type: fieldType });
        }
      }
    };
    visit(selectionSet);
    return [...fields.values()];
  };

  const shapeOf = (type: GraphQLObjectType | GraphQLUnionType, selectionSet: SelectionSetNode, owner: string, root: boolean): string => {
    const only = selectionSet.selections.filter((selection) => !(selection.kind === Kind.FIELD && selection.name.value === '__typename'));
    const spread = only.length === 1 && only[0]!.kind === Kind.FRAGMENT_SPREAD ? fragments.get(only[0]!.name.value) : undefined;
    if (spread && spread.typeCondition.name.value === type.name && only.length === selectionSet.selections.length) return fragmentShape(spread);
    return record(type, selectionSet, owner, root, null);
  };

  const record = (type: GraphQLObjectType | GraphQLUnionType, selectionSet: SelectionSetNode, owner: string, root: boolean, fragment: string | null): string => {
    let shape: Shape;
    if (isUnionType(type)) {
      const typename = selectionSet.selections.some((selection) => selection.kind === Kind.FIELD && selection.name.value === '__typename');
      if (!typename) throw new Error(`A selection on the union ${type.name} (in ${owner}) must ask for __typename: the SDKs pick the member by it.`);
      const members = [...type.getTypes()].sort(byName).map((member) => {
        const memberSet: SelectionSetNode = {
          kind: Kind.SELECTION_SET,
          selections: selectionSet.selections.flatMap((selection) => {
            if (selection.kind === Kind.INLINE_FRAGMENT) return selection.typeCondition?.name.value === member.name ? selection.selectionSet.selections : [];
            if (selection.kind === Kind.FRAGMENT_SPREAD) {
              const spread = fragments.get(selection.name.value);
              return spread?.typeCondition.name.value === member.name ? spread.selectionSet.selections : [];
            }
            return [];
          }),
        };
        return { typename: member.name, signature: record(member, memberSet, owner, false, null) };
      });
      shape = { signature: '', schemaType: type.name, owner, root, fragment, union: true, fields: [], members };
      shape.signature = `${type.name}|${members.map((member) => member.signature).join('|')}`;
    } else {
      const fields = selectedFields(type, selectionSet, owner);
      shape = { signature: '', schemaType: type.name, owner, root, fragment, union: false, fields, members: [] };
      shape.signature = `${fragment ?? type.name}{${fields.map((field) => `${field.name}:${signatureOf(field.type)}`).join(',')}}`;
    }
    if (!shapes.has(shape.signature)) shapes.set(shape.signature, shape);
    return shape.signature;
  };

  const fragmentSignatures = new Map<string, string>();
  const fragmentShape = (fragment: FragmentDefinitionNode): string => {
    const known = fragmentSignatures.get(fragment.name.value);
    if (known) return known;
    const type = schema.getType(fragment.typeCondition.name.value);
    if (!isObjectType(type) && !isUnionType(type)) throw new Error(`Fragment ${fragment.name.value} is on ${fragment.typeCondition.name.value}: only object and union types are handled.`);
    const signature = record(type, fragment.selectionSet, fragment.name.value, false, fragment.name.value);
    fragmentSignatures.set(fragment.name.value, signature);
    return signature;
  };

  for (const fragment of [...fragments.values()].sort((a, b) => byName({ name: a.name.value }, { name: b.name.value }))) fragmentShape(fragment);

  const skipped: string[] = [];
  const pending: Array<Omit<OperationModel, 'type'> & { type: TypeRef }> = [];
  for (const operation of operations) {
    const name = operation.name?.value;
    if (!name) throw new Error('Every operation in codegen/*.graphql needs a name: it names the SDK method.');
    if (operation.operation === 'subscription') {
      skipped.push(name);
      continue;
    }
    const rootType = operation.operation === 'query' ? schema.getQueryType() : schema.getMutationType();
    if (!rootType) throw new Error(`The schema has no ${operation.operation} type`);
    const variables = (operation.variableDefinitions ?? []).map((definition) => {
      const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
      if (!type) throw new Error(`${name}: unknown variable type ${print(definition.type)}`);
      return { name: definition.variable.name.value, description: undefined, type: inputRef(type, inputs), required: isNonNullType(type) && !definition.defaultValue };
    });
    const rootFields = selectedFields(rootType, operation.selectionSet, name);
    let rootField: string | null = null;
    let type: TypeRef;
    let description: string | undefined;
    if (rootFields.length === 1) {
      rootField = rootFields[0]!.name;
      type = rootFields[0]!.type;
      // The root field's own selection is the result: name it after the operation when it is not a fragment.
      markRoot(type, shapes, name);
      const selection = operation.selectionSet.selections[0];
      description = selection?.kind === Kind.FIELD ? rootType.getFields()[selection.name.value]?.description ?? undefined : undefined;
    } else {
      const signature = `${name}Result{${rootFields.map((field) => `${field.name}:${signatureOf(field.type)}`).join(',')}}`;
      shapes.set(signature, { signature, schemaType: rootType.name, owner: name, root: true, fragment: null, union: false, fields: rootFields, members: [] });
      type = { kind: 'object', name: signature, nullable: false };
      description = undefined;
    }
    const printed = [print(operation), ...usedFragments(operation.selectionSet, fragments).map((fragment) => print(fragment))].join('\n\n');
    pending.push({ name, kind: operation.operation, document: printed, variables, rootField, description, type });
  }

  // Names: a shape keeps its schema type's name when it is that type's only shape.
  const perType = new Map<string, Shape[]>();
  for (const shape of shapes.values()) if (!shape.fragment) perType.set(shape.schemaType, [...(perType.get(shape.schemaType) ?? []), shape]);
  const names = new Map<string, string>();
  const taken = new Set<string>([...fragments.keys(), ...enums, ...inputs]);
  for (const shape of shapes.values()) if (shape.fragment) names.set(shape.signature, shape.fragment);
  const unnamed = [...shapes.values()].filter((shape) => !shape.fragment).sort((a, b) => byName({ name: `${a.owner}.${a.schemaType}` }, { name: `${b.owner}.${b.schemaType}` }));
  for (const shape of unnamed) {
    const alone = perType.get(shape.schemaType)!.length === 1;
    let name = alone ? shape.schemaType : shape.root ? `${shape.owner}Result` : `${shape.owner}${shape.schemaType}`;
    if (taken.has(name)) name = `${shape.owner}${shape.schemaType}`;
    for (let n = 2; taken.has(name); n++) name = `${shape.owner}${shape.schemaType}${n}`;
    taken.add(name);
    names.set(shape.signature, name);
  }
  const rename = (type: TypeRef): TypeRef =>
    type.kind === 'list' ? { ...type, of: rename(type.of) } : type.kind === 'object' || type.kind === 'union' ? { ...type, name: names.get(type.name)! } : type;

  const objects: ResultObject[] = [];
  const unions: ResultUnion[] = [];
  for (const shape of shapes.values()) {
    const description = schema.getType(shape.schemaType)?.description ?? undefined;
    if (shape.union) {
      unions.push({ name: names.get(shape.signature)!, description, members: shape.members.map((member) => ({ typename: member.typename, object: names.get(member.signature)! })) });
    } else {
      objects.push({ name: names.get(shape.signature)!, schemaType: shape.schemaType, description, fields: shape.fields.map((field) => ({ ...field, type: rename(field.type) })) });
    }
  }

  return {
    enums: [...enums].sort().map((name) => enumModel(schema.getType(name) as GraphQLEnumType)),
    inputs: [...inputs].sort().map((name) => inputModel(schema.getType(name) as GraphQLInputObjectType, inputs)),
    objects: objects.sort(byName),
    unions: unions.sort(byName),
    operations: pending.map((operation) => ({ ...operation, type: rename(operation.type) })),
    skipped,
  };

  function inputRef(type: GraphQLInputType, found: Set<string>): TypeRef {
    if (type instanceof GraphQLNonNull) return { ...inputRef(type.ofType, found), nullable: false };
    if (type instanceof GraphQLList) return { kind: 'list', of: inputRef(type.ofType, found), nullable: true };
    if (type instanceof GraphQLScalarType) return { kind: 'scalar', name: type.name, nullable: true };
    if (type instanceof GraphQLEnumType) {
      enums.add(type.name);
      return { kind: 'enum', name: type.name, nullable: true };
    }
    if (!found.has(type.name)) {
      found.add(type.name);
      // Walk its fields now so nested inputs and enums are found too.
      for (const field of Object.values(type.getFields())) inputRef(field.type, found);
    }
    return { kind: 'input', name: type.name, nullable: true };
  }

  function inputModel(type: GraphQLInputObjectType, found: Set<string>): InputModel {
    return {
      name: type.name,
      description: type.description ?? undefined,
      fields: Object.values(type.getFields()).map((field) => ({
        name: field.name,
        description: field.description ?? undefined,
        type: inputRef(field.type, found),
        required: isNonNullType(field.type) && field.defaultValue === undefined,
      })),
    };
  }
}

function signatureOf(type: TypeRef): string {
  const base = type.kind === 'list' ? `[${signatureOf(type.of)}]` : `${type.kind}:${type.name}`;
  return type.nullable ? base : `${base}!`;
}

function markRoot(type: TypeRef, shapes: Map<string, { root: boolean; owner: string; fragment: string | null }>, owner: string): void {
  if (type.kind === 'list') return markRoot(type.of, shapes, owner);
  if (type.kind !== 'object' && type.kind !== 'union') return;
  const shape = shapes.get(type.name);
  if (shape && !shape.fragment && shape.owner === owner) shape.root = true;
}

function enumModel(type: GraphQLEnumType): EnumModel {
  return {
    name: type.name,
    description: type.description ?? undefined,
    values: type.getValues().map((value) => ({ name: value.name, description: value.description ?? undefined })),
  };
}

/** The fragments a selection uses, transitively, sorted by name. */
function usedFragments(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !used.has(fragment.name.value)) {
          used.set(fragment.name.value, fragment);
          visit(fragment.selectionSet);
        }
      } else if (selection.selectionSet) visit(selection.selectionSet);
    }
  };
  visit(selectionSet);
  return [...used.values()].sort((a, b) => byName({ name: a.name.value }, { name: b.name.value }));
}
