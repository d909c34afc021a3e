"""The emulator's SDL is a strict subset of the real Shopify Admin 2026-04 schema."""

from importlib import resources

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    build_schema,
    print_ast,
)

from syncer.emulator.schema import build_emulator_schema


def _default(arg):
    node = arg.ast_node.default_value if arg.ast_node else None
    return print_ast(node) if node else None


def _differences(emulator, real):
    """Every way the emulator schema is not a subset of the real one, as readable lines."""
    problems = []
    for name, etype in emulator.type_map.items():
        if name.startswith("__"):
            continue
        rtype = real.get_type(name)
        if rtype is None:
            problems.append(f"type {name} is not in the real schema")
            continue
        if type(etype) is not type(rtype):
            problems.append(f"type {name} is a {type(etype).__name__}, real {type(rtype).__name__}")
            continue
        if isinstance(etype, GraphQLEnumType):
            extra = set(etype.values) - set(rtype.values)
            problems += [f"enum value {name}.{v} is not real" for v in sorted(extra)]
        if isinstance(etype, GraphQLUnionType):
            extra = {t.name for t in etype.types} - {t.name for t in rtype.types}
            problems += [f"union {name} member {t} is not real" for t in sorted(extra)]
        if isinstance(etype, GraphQLObjectType | GraphQLInterfaceType):
            extra = {i.name for i in etype.interfaces} - {i.name for i in rtype.interfaces}
            problems += [f"{name} implements {i}, real does not" for i in sorted(extra)]
        if isinstance(etype, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for fname, field in etype.fields.items():
                rfield = rtype.fields.get(fname)
                if rfield is None:
                    problems.append(f"field {name}.{fname} is not real")
                    continue
                if str(field.type) != str(rfield.type):
                    problems.append(f"{name}.{fname}: {field.type} != real {rfield.type}")
                for aname, arg in getattr(field, "args", {}).items():
                    rarg = rfield.args.get(aname)
                    if rarg is None:
                        problems.append(f"argument {name}.{fname}({aname}) is not real")
                    elif (str(arg.type), _default(arg)) != (str(rarg.type), _default(rarg)):
                        problems.append(f"argument {name}.{fname}({aname}) differs from real")
                for aname, rarg in getattr(rfield, "args", {}).items():
                    if str(rarg.type).endswith("!") and _default(rarg) is None:
                        if aname not in field.args:
                            problems.append(f"required argument {name}.{fname}({aname}) missing")
    for directive in emulator.directives:
        rdir = real.get_directive(directive.name)
        if rdir is None:
            problems.append(f"directive @{directive.name} is not real")
            continue
        if set(directive.locations) != set(rdir.locations):
            problems.append(f"directive @{directive.name} locations differ")
        eargs = {k: str(v.type) for k, v in directive.args.items()}
        if eargs != {k: str(v.type) for k, v in rdir.args.items()}:
            problems.append(f"directive @{directive.name} arguments differ")
    for op in ("query_type", "mutation_type"):
        if getattr(emulator, op).name != getattr(real, op).name:
            problems.append(f"root {op} differs")
    return problems


def test_emulator_schema_is_a_subset_of_the_real_schema(real_schema):
    assert _differences(build_emulator_schema(), real_schema) == []


def test_each_served_version_is_a_subset_of_that_versions_real_schema(real_schemas):
    version, real = real_schemas
    assert _differences(build_emulator_schema(version), real) == []
    # and the 2026-10 removal is modelled: 2026-04's emulator schema is not a 2026-10 subset
    if version == "2026-10":
        assert "enum value InventorySetQuantitiesUserErrorCode.ITEM_NOT_STOCKED_AT_LOCATION " \
               "is not real" in _differences(build_emulator_schema("2026-04"), real)


def test_subset_check_can_fail(real_schema):
    fake = build_schema(
        "type QueryRoot { shop: Shop! inventoryLevel(id: ID): InventoryLevel }"
        " type Shop { name: Int! fax: String }"
        " type InventoryLevel { id: ID! }"
        " type Mutation { inventoryDeactivate(inventoryLevelId: ID!, x: Int): Boolean }"
        " enum DiscountStatus { ACTIVE PAUSED }"
        " directive @idempotent(key: String) on FIELD"
        " schema { query: QueryRoot mutation: Mutation }"
    )
    problems = _differences(fake, real_schema)
    assert "Shop.name: Int! != real String!" in problems
    assert "field Shop.fax is not real" in problems
    assert "argument QueryRoot.inventoryLevel(id) differs from real" in problems
    assert "argument Mutation.inventoryDeactivate(x) is not real" in problems
    assert "enum value DiscountStatus.PAUSED is not real" in problems
    assert "directive @idempotent arguments differ" in problems
    assert "Mutation.inventoryDeactivate: Boolean != real InventoryDeactivatePayload" in problems


def test_idempotent_directive_matches_the_real_one(real_schema):
    ours = build_emulator_schema().get_directive("idempotent")
    real = real_schema.get_directive("idempotent")
    assert [loc.name for loc in ours.locations] == [loc.name for loc in real.locations] == ["FIELD"]
    assert str(ours.args["key"].type) == str(real.args["key"].type) == "String!"


def test_schema_ships_inside_the_package():
    text = resources.files("syncer.emulator").joinpath("schema.graphql").read_text("utf-8")
    assert "directive @idempotent(key: String!) on FIELD" in text
