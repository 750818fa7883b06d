"""Calculated query cost of a GraphQL operation, as Shopify's rate limiter counts it.

Rules (shopify.md §5.1, shopify.dev rate-limits page): scalars and enums cost 0, objects 1,
a connection costs 2 plus `first`/`last` times the cost of one node (so nested connections
multiply), a top-level mutation field costs 10. The requested cost is computed from the
document before execution; the actual cost from the data returned (real page sizes), and a
mutation's actual cost is 10 per mutation field (as in the captured fulfillmentCreate response).
Lists that take `first` but are not connections (`Order.fulfillments`) are sized like
connections without the 2-point overhead (assumption); a list fetched by `ids`
(`nodes(ids:)`) costs one object per id, since it returns one node per id (assumption; the
rate-limit page prices interfaces at their most expensive selection and says nothing of
`nodes`).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInt,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)
from graphql.utilities import value_from_ast, value_from_ast_untyped

MUTATION_COST = 10
CONNECTION_COST = 2


class CostError(Exception):
    """A document Shopify refuses before execution (e.g. a connection without first/last)."""

    def __init__(self, message: str, node: FieldNode, path: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.location = node.loc.source.get_location(node.loc.start) if node.loc else None
        self.path = path

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "path": self.path}
        if self.location:
            error["locations"] = [{"line": self.location.line, "column": self.location.column}]
        return error


class CostCalculator:
    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = fragments
        self.variables = variables or {}

    def _root(self) -> GraphQLObjectType:
        root = self.schema.get_root_type(self.operation.operation)
        assert root is not None
        return root

    def requested(self) -> int:
        if self.operation.operation == OperationType.MUTATION:
            return sum(
                MUTATION_COST
                + self._selection(
                    self._type_of(self._root(), f), f.selection_set, None, [f.name.value]
                )
                for f in self._fields(self._root(), self.operation.selection_set)
            )
        return self._selection(self._root(), self.operation.selection_set, None, [])

    def actual(self, data: dict[str, Any] | None) -> int:
        if data is None:
            return 0
        if self.operation.operation == OperationType.MUTATION:
            return MUTATION_COST * len(self._fields(self._root(), self.operation.selection_set))
        return self._selection(self._root(), self.operation.selection_set, data, [], actual=True)

    def _fields(self, parent: Any, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        """Flatten fragments into the field nodes selected on `parent`."""
        found: list[FieldNode] = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                found += self._fields(parent, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    found += self._fields(parent, fragment.selection_set)
        return found

    def _type_of(self, parent: Any, node: FieldNode) -> Any:
        field = getattr(parent, "fields", {}).get(node.name.value)
        return field.type if field is not None else None

    def _arg(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments:
            if argument.name.value == name:
                return value_from_ast(argument.value, GraphQLInt, self.variables)
        return None

    def _ids_size(self, node: FieldNode) -> int | None:
        """How many ids a list field fetched by `ids:` asks for (None: not such a field)."""
        for argument in node.arguments:
            if argument.name.value == "ids":
                value = value_from_ast_untyped(argument.value, self.variables)
                return len(value) if isinstance(value, list) else 1
        return None

    def _selection(
        self,
        parent: Any,
        selection_set: SelectionSetNode | None,
        value: Any,
        path: list[str],
        actual: bool = False,
    ) -> int:
        parent = get_named_type(parent)
        total = 0
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, (InlineFragmentNode, FragmentSpreadNode)):
                fragment = (
                    node
                    if isinstance(node, InlineFragmentNode)
                    else self.fragments.get(node.name.value)
                )
                if fragment is None:
                    continue
                condition = fragment.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self._selection(inner, fragment.selection_set, value, path, actual)
                continue
            assert isinstance(node, FieldNode)
            if node.name.value.startswith("__"):
                continue
            field_type = self._type_of(parent, node)
            if field_type is None or is_leaf_type(get_named_type(field_type)):
                continue
            key = node.alias.value if node.alias else node.name.value
            child = value.get(key) if isinstance(value, dict) else None
            total += self._field(node, field_type, child, path + [node.name.value], actual)
        return total

    def _field(
        self, node: FieldNode, field_type: Any, value: Any, path: list[str], actual: bool
    ) -> int:
        named = get_named_type(field_type)
        if named.name.endswith("Connection"):
            return self._connection(node, named, value, path, actual)
        is_list = isinstance(get_nullable_type(field_type), GraphQLList)
        by_ids = self._ids_size(node) if is_list else None
        sized = is_list and (by_ids is not None
                             or any(a.name.value == "first" for a in node.arguments))
        if not actual:
            each = 1 + self._selection(named, node.selection_set, None, path)
            if by_ids is not None:
                return each * by_ids
            return each * (self._arg(node, "first") or 1) if sized else each
        if is_list:
            costs = [
                1 + self._selection(named, node.selection_set, item, path, True)
                for item in value or []
            ]
            return sum(costs) if sized else max(costs, default=1)
        if value is None:
            return 1
        return 1 + self._selection(named, node.selection_set, value, path, True)

    def _connection(
        self, node: FieldNode, connection: Any, value: Any, path: list[str], actual: bool
    ) -> int:
        if not actual and self._arg(node, "first") is None and self._arg(node, "last") is None:
            raise CostError("you must provide one of first or last", node, path)
        node_type = connection.fields["nodes"].type
        per_node: list[int] = []
        for inner in self._fields(connection, node.selection_set):
            if inner.name.value == "nodes":
                items = (
                    (value or {}).get(inner.alias.value if inner.alias else "nodes")
                    if actual
                    else None
                )
                per_node.append(self._nodes(node_type, inner.selection_set, items, path, actual))
            elif inner.name.value == "edges":
                edge_type = get_named_type(connection.fields["edges"].type)
                edges = (
                    (value or {}).get(inner.alias.value if inner.alias else "edges")
                    if actual
                    else None
                )
                for edge_field in self._fields(edge_type, inner.selection_set):
                    if edge_field.name.value == "node":
                        key = edge_field.alias.value if edge_field.alias else "node"
                        items = [e.get(key) for e in edges or []] if actual else None
                        per_node.append(
                            self._nodes(node_type, edge_field.selection_set, items, path, actual)
                        )
        if actual:
            return CONNECTION_COST + max(per_node, default=0)
        size = self._arg(node, "first") or self._arg(node, "last") or 0
        return CONNECTION_COST + size * max(per_node, default=0)

    def _nodes(
        self,
        node_type: Any,
        selection_set: SelectionSetNode | None,
        items: Any,
        path: list[str],
        actual: bool,
    ) -> int:
        named = get_named_type(node_type)
        if not actual:
            return 1 + self._selection(named, selection_set, None, path)
        return sum(
            1 + self._selection(named, selection_set, item, path, True) for item in items or []
        )


def operation_and_fragments(
    document: Any, operation_name: str | None
) -> tuple[OperationDefinitionNode | None, dict[str, FragmentDefinitionNode]]:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if operation_name:
        chosen = next((o for o in operations if o.name and o.name.value == operation_name), None)
    else:
        chosen = operations[0] if len(operations) == 1 else None
    return chosen, fragments
