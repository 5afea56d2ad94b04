"""Static validation and variable coercion errors, shaped like Shopify's (graphql-ruby) answers.

graphql-core does the validating; this module re-words its errors the way the Admin API words
them, with graphql-ruby's ``extensions.code`` and the ``path`` Shopify returns (operation label
first, then response keys). Formats are taken from captures under
``captures/2026-04`` (``undefinedField``, ``argumentNotAccepted``, ``missingRequiredArguments``,
``argumentLiteralsIncompatible``, ``missingRequiredInputObjectAttribute``, ``variableNotUsed``,
``INVALID_VARIABLE``). Rules without a capture keep graphql-core's message under the
graphql-ruby code. Such responses carry no ``data`` and no ``extensions.cost``, as on Shopify.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from graphql import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    Node,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableDefinitionNode,
    Visitor,
    get_named_type,
    print_ast,
    specified_rules,
    visit,
)
from graphql.validation import ValidationRule

from .state import GID_RE

CODES = {
    "FieldsOnCorrectTypeRule": "undefinedField",
    "KnownArgumentNamesRule": "argumentNotAccepted",
    "ProvidedRequiredArgumentsRule": "missingRequiredArguments",
    "ValuesOfCorrectTypeRule": "argumentLiteralsIncompatible",
    "NoUnusedVariablesRule": "variableNotUsed",
    "NoUndefinedVariablesRule": "variableNotDefined",
    "ScalarLeafsRule": "selectionMismatch",
    "KnownTypeNamesRule": "undefinedType",
    "VariablesInAllowedPositionRule": "variableMismatch",
    "VariablesAreInputTypesRule": "variableRequiresValidType",
    "UniqueOperationNamesRule": "uniquelyNamedOperations",
    "KnownFragmentNamesRule": "undefinedFragment",
    "NoUnusedFragmentsRule": "useAndDefineFragment",
    "NoFragmentCyclesRule": "infiniteLoop",
    "OverlappingFieldsCanBeMergedRule": "fieldConflict",
    "UniqueArgumentNamesRule": "argumentNotUnique",
    "KnownDirectivesRule": "undefinedDirective",
    "GlobalIdLiteralRule": "argumentLiteralsIncompatible",
}


class GlobalIdLiteralRule(ValidationRule):
    """Shopify's ``ID`` scalar only accepts global ids; a literal like "12" fails validation."""

    def enter_string_value(self, node: StringValueNode, *_args) -> None:
        expected = get_named_type(self.context.get_input_type())
        if expected is self.context.schema.get_type("ID") and not GID_RE.match(node.value):
            self.report_error(GraphQLError(f"Invalid global id '{node.value}'", node))


@cache
def shopify_rules() -> tuple[type[ValidationRule], ...]:
    """graphql-core's rules, each stamping its name on the errors it reports."""
    return tuple(_tagged(rule) for rule in (*specified_rules, GlobalIdLiteralRule))


def _tagged(rule: type[ValidationRule]) -> type[ValidationRule]:
    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "_rule": rule.__name__}
        rule.report_error(self, error)

    return type(rule.__name__, (rule,), {"report_error": report_error})


# --------------------------------------------------------------------------- node index


class _Owner:
    """The argument or input field a value node is given to."""

    def __init__(self, kind: str, owner: str, name: str, type_: str, field: Node | None):
        self.kind, self.owner, self.name, self.type, self.field = kind, owner, name, type_, field


_LABELLED = (
    OperationDefinitionNode,
    FragmentDefinitionNode,
    FieldNode,
    ArgumentNode,
    ObjectFieldNode,
)


class _Index(Visitor):
    """Remember, for every node, Shopify's error path and what it belongs to."""

    def __init__(self, type_info: TypeInfo):
        super().__init__()
        self.type_info = type_info
        self.path: list[str] = []
        self.fields: list[Node] = []
        self.owners: list[_Owner] = []
        self.paths: dict[int, list[str]] = {}
        self.owner_of: dict[int, _Owner] = {}
        self.parent_type: dict[int, str] = {}
        self.operation_of: dict[int, OperationDefinitionNode] = {}
        self.operation: OperationDefinitionNode | None = None

    def enter(self, node, *_args):
        label = None
        if isinstance(node, OperationDefinitionNode):
            self.operation = node
            label = operation_label(node)
        elif isinstance(node, FragmentDefinitionNode):
            label = f"fragment {node.name.value}"
        elif isinstance(node, FieldNode):
            label = node.alias.value if node.alias else node.name.value
            parent = self.type_info.get_parent_type()
            self.parent_type[id(node)] = parent.name if parent else "?"
        elif isinstance(node, ArgumentNode | ObjectFieldNode):
            label = node.name.value
        if isinstance(node, _LABELLED):
            self.path.append(label)
        if isinstance(node, FieldNode | DirectiveNode):
            self.fields.append(node)
        if isinstance(node, ArgumentNode | ObjectFieldNode):
            self.owners.append(self._owner(node))
        self.paths[id(node)] = list(self.path)
        if self.owners and isinstance(node, ValueNode) and id(node) not in self.owner_of:
            self.owner_of[id(node)] = self.owners[-1]
        if self.operation is not None:
            self.operation_of[id(node)] = self.operation

    def leave(self, node, *_args):
        if isinstance(node, ArgumentNode | ObjectFieldNode):
            self.owners.pop()
        if isinstance(node, FieldNode | DirectiveNode):
            self.fields.pop()
        if isinstance(node, _LABELLED):
            self.path.pop()
        if isinstance(node, OperationDefinitionNode):
            self.operation = None

    def _owner(self, node) -> _Owner:
        type_ = str(self.type_info.get_input_type() or "?")
        field = self.fields[-1] if self.fields else None
        if isinstance(node, ObjectFieldNode):
            parent = self.type_info.get_parent_input_type()
            return _Owner(
                "InputObject", getattr(parent, "name", "?"), node.name.value, type_, field
            )
        kind = "Directive" if isinstance(field, DirectiveNode) else "Field"
        owner = field.name.value if field is not None else "?"
        return _Owner(kind, owner, node.name.value, type_, field)


def operation_label(operation: OperationDefinitionNode) -> str:
    kind = operation.operation.value
    return f"{kind} {operation.name.value}" if operation.name else kind


def _operation_name(operation: OperationDefinitionNode | None) -> str:
    if operation is None or operation.name is None:
        return f"anonymous {operation.operation.value if operation else 'query'}"
    return operation.name.value


def locations(*nodes: Node | None) -> list[dict[str, int]]:
    out = []
    for node in nodes:
        if node is not None and node.loc is not None:
            location = node.loc.source.get_location(node.loc.start)
            out.append({"line": location.line, "column": location.column})
    return out


# --------------------------------------------------------------------------- formatting


def format_validation_errors(schema: GraphQLSchema, document, errors: list[GraphQLError]):
    type_info = TypeInfo(schema)
    index = _Index(type_info)
    visit(document, TypeInfoVisitor(type_info, index))
    formatted: list[dict] = []
    missing_arguments: dict[int, dict] = {}
    for error in errors:
        extensions = dict(error.extensions or {})
        rule = extensions.pop("_rule", "")
        node = error.nodes[0] if error.nodes else None
        if rule == "ProvidedRequiredArgumentsRule" and node is not None:
            _merge_missing_argument(missing_arguments, formatted, index, error, node)
            continue
        entry = _shopify_error(rule, error, node, index, schema)
        formatted.append(entry)
    return formatted


def _merge_missing_argument(seen: dict, formatted: list, index: _Index, error, node) -> None:
    match = re.search(r"\((\w+):\)", error.message) or re.search(r"argument '(\w+)'", error.message)
    argument = match.group(1) if match else "?"
    entry = seen.get(id(node))
    if entry is None:
        name = node.name.value
        entry = {
            "message": "",
            "locations": locations(node),
            "path": index.paths.get(id(node)),
            "extensions": {
                "code": "missingRequiredArguments",
                "className": "Directive" if isinstance(node, DirectiveNode) else "Field",
                "name": name,
                "arguments": "",
            },
        }
        seen[id(node)] = entry
        formatted.append(entry)
    extensions = entry["extensions"]
    arguments = [a for a in extensions["arguments"].split(", ") if a] + [argument]
    extensions["arguments"] = ", ".join(arguments)
    entry["message"] = (
        f"{extensions['className']} '{extensions['name']}' is missing required arguments: "
        f"{extensions['arguments']}"
    )


def _shopify_error(rule: str, error, node, index: _Index, schema) -> dict:
    code = CODES.get(rule, "validationError")
    message = error.message
    extra: dict[str, Any] = {}
    where = locations(*(error.nodes or ()))
    path = index.paths.get(id(node)) if node is not None else None
    owner = index.owner_of.get(id(node)) if node is not None else None

    if rule == "FieldsOnCorrectTypeRule" and isinstance(node, FieldNode):
        type_name = index.parent_type.get(id(node), "?")
        message = f"Field '{node.name.value}' doesn't exist on type '{type_name}'"
        extra = {"typeName": type_name, "fieldName": node.name.value}
    elif rule == "KnownArgumentNamesRule" and isinstance(node, ArgumentNode) and owner:
        message = f"{owner.kind} '{owner.owner}' doesn't accept argument '{node.name.value}'"
        extra = {"name": owner.owner, "typeName": owner.kind, "argumentName": node.name.value}
    elif rule == "ValuesOfCorrectTypeRule" and isinstance(node, ObjectValueNode):
        found = re.search(r"type '(\w+)' to include required field '(\w+)'", message)
        if found:
            input_type, field_name = found.groups()
            field_type = str(schema.get_type(input_type).fields[field_name].type)
            code = "missingRequiredInputObjectAttribute"
            message = (
                f"Argument '{field_name}' on InputObject '{input_type}' is required. "
                f"Expected type {field_type}"
            )
            path = (path or []) + [field_name]
            extra = {
                "argumentName": field_name,
                "argumentType": field_type,
                "inputObjectType": input_type,
            }
    elif rule == "ValuesOfCorrectTypeRule" and isinstance(node, ObjectFieldNode):
        parent = index.owner_of.get(id(node.value))
        input_type = parent.owner if parent else "?"
        code = "argumentNotAccepted"
        message = f"InputObject '{input_type}' doesn't accept argument '{node.name.value}'"
        extra = {"name": input_type, "typeName": "InputObject", "argumentName": node.name.value}
    elif rule == "ValuesOfCorrectTypeRule" and owner is not None:
        message = (
            f"Argument '{owner.name}' on {owner.kind} '{owner.owner}' has an invalid value "
            f"({print_ast(node)}). Expected type '{owner.type}'."
        )
        where = locations(owner.field) or where
        extra = {"typeName": owner.kind, "argumentName": owner.name}
    elif rule == "GlobalIdLiteralRule" and owner is not None:
        where = locations(owner.field) or where
        extra = {"typeName": "CoercionError"}
    elif rule == "NoUnusedVariablesRule" and isinstance(node, VariableDefinitionNode):
        operation = index.operation_of.get(id(node))
        name = node.variable.name.value
        message = f"Variable ${name} is declared by {_operation_name(operation)} but not used"
        where = locations(operation) or where
        path = [operation_label(operation)] if operation else None
        extra = {"variableName": name}
    elif rule == "NoUndefinedVariablesRule" and node is not None:
        operation = index.operation_of.get(id(node))
        name = getattr(getattr(node, "name", None), "value", "?")
        message = f"Variable ${name} is used by {_operation_name(operation)} but not declared"
        where = locations(node)
        extra = {"variableName": name}
    elif rule == "ScalarLeafsRule":
        message, extra = _scalar_leaf_message(message, node, index)
    return {
        "message": message,
        "locations": where,
        **({"path": path} if path else {}),
        "extensions": {"code": code, **extra},
    }


def _scalar_leaf_message(message: str, node, index: _Index) -> tuple[str, dict]:
    if isinstance(node, FieldNode):
        found = re.search(r"of type '([^']+)'", message)
        type_name = found.group(1) if found else "?"
        name = node.name.value
        text = (
            f"Field must have selections (field '{name}' returns {type_name} but has no "
            f"selections. Did you mean '{name} {{ ... }}'?)"
        )
        return text, {"nodeName": f"field '{name}'", "typeName": type_name}
    if isinstance(node, SelectionSetNode):
        found = re.search(r"Field '(\w+)' must not have a selection since type '([^']+)'", message)
        name, type_name = found.groups() if found else ("?", "?")
        selected = ", ".join(s.name.value for s in node.selections if isinstance(s, FieldNode))
        text = (
            f"Selections can't be made on scalars (field '{name}' returns {type_name} but has "
            f"selections [{selected}])"
        )
        return text, {"nodeName": f"field '{name}'", "typeName": type_name}
    return message, {}
