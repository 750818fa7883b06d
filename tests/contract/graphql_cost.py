"""Requested cost of a GraphQL Admin document, as Shopify's limiter counts it (shopify.md §5.1).

Scalars and enums 0; objects 1; a connection 2 plus `first`/`last` times one node (nested
connections multiply); a top-level mutation field 10 plus its selection. One reading is more
conservative than the sandbox's: a list fetched by `ids` (`nodes(ids:)`) costs one object per
id, since Shopify returns one node per id. Independent of the sandbox's calculator, so the
documents are checked even while the sandbox is changing.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    GraphQLList,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    parse,
)
from graphql.utilities import value_from_ast_untyped

MUTATION_FIELD = 10
CONNECTION = 2


def requested_cost(schema: GraphQLSchema, document: str, variables: dict[str, Any]) -> int:
    [operation] = parse(document).definitions
    assert isinstance(operation, OperationDefinitionNode)
    root = schema.get_root_type(operation.operation)
    assert root is not None
    if operation.operation == OperationType.MUTATION:
        return sum(MUTATION_FIELD + _selection(schema, root.fields[f.name.value].type,
                                               f.selection_set, variables)
                   for f in _fields(operation.selection_set))
    return _selection(schema, root, operation.selection_set, variables)


def _fields(selection_set: SelectionSetNode | None) -> list[FieldNode]:
    return [s for s in selection_set.selections if isinstance(s, FieldNode)] if (
        selection_set) else []


def _argument(node: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for argument in node.arguments:
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value, variables)
    return None


def _selection(schema: GraphQLSchema, parent: Any, selection_set: SelectionSetNode | None,
               variables: dict[str, Any]) -> int:
    parent = get_named_type(parent)
    total = 0
    for node in selection_set.selections if selection_set else ():
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition
            inner = schema.get_type(condition.name.value) if condition else parent
            total += _selection(schema, inner, node.selection_set, variables)
            continue
        assert isinstance(node, FieldNode)
        field = getattr(parent, "fields", {}).get(node.name.value)
        if field is None or is_leaf_type(get_named_type(field.type)):
            continue
        total += _field(schema, node, field.type, variables)
    return total


def _field(schema: GraphQLSchema, node: FieldNode, field_type: Any,
           variables: dict[str, Any]) -> int:
    named = get_named_type(field_type)
    if named.name.endswith("Connection"):
        size = _argument(node, "first", variables) or _argument(node, "last", variables)
        assert size, f"{node.name.value}: a connection needs first or last"
        [nodes] = [f for f in _fields(node.selection_set) if f.name.value == "nodes"]
        per_node = 1 + _selection(schema, named.fields["nodes"].type, nodes.selection_set,
                                  variables)
        return CONNECTION + int(size) * per_node
    each = 1 + _selection(schema, named, node.selection_set, variables)
    if isinstance(get_nullable_type(field_type), GraphQLList):
        ids = _argument(node, "ids", variables)
        count = len(ids) if isinstance(ids, list) else _argument(node, "first", variables) or 1
        return each * int(count)
    return each
