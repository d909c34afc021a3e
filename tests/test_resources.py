import json

from syncer import resources


def test_every_schema_resource_loads():
    names = resources.schema_names()
    for name in names:
        if name.endswith(".json"):
            schema = resources.load_json_schema(name)
            assert schema["$schema"].startswith("https://json-schema.org/")
        else:
            assert resources.schema_path(name).read_text(encoding="utf-8").strip()
    json.dumps(names)
