"""The DynamoDB tables of infra/template.yaml, created in whatever DynamoDB AWS_ENDPOINT_URL names
(moto locally), so local runs and tests use the deployed definitions, never a copy of them; and
the hourly round's state machine definition, for the tests that run it.

    python scripts/tables.py create          creates the tables (an existing one is left as it
                                             is) and prints their names, one a line
    python scripts/tables.py describe        prints, as JSON, what `create` would create
    python scripts/tables.py state-machine   prints, as JSON, the state machine's definition

Table names come from the environment, as the functions read them:

    EventsTable  ->  AUDIT_LOGS_TABLE        (default audit-log-events)
    StateTable   ->  AUDIT_LOGS_STATE_TABLE  (default audit-log-state)

`describe` prints a JSON list, one object per table, ordered by logical id, with exactly these
keys (a stable contract: tests create tables from it through the AWS SDK):

    logical_id             "EventsTable" | "StateTable"
    env_var                the variable that names the table: "AUDIT_LOGS_TABLE" | ...
    default_name           the name used when env_var is unset or empty
    billing_mode           "PAY_PER_REQUEST" or "PROVISIONED"
    key_schema             [{"AttributeName": "pk", "KeyType": "HASH"}, ...]  (as in the template)
    attribute_definitions  [{"AttributeName": "pk", "AttributeType": "S"}, ...]
    global_secondary_indexes  [{"IndexName", "KeySchema", "Projection"}, ...]; [] if none
    ttl_attribute          the TTL attribute's name, or null when the table has no TTL

Only the definitions that matter to the data are taken over; point-in-time recovery, deletion
protection and encryption are deployment concerns that the emulator does not need.

`state-machine` prints one JSON object (also a stable contract: tests/integration runs the
definition through its Step Functions interpreter):

    logical_id     the template's one AWS::StepFunctions::StateMachine, e.g. "SyncRoundStateMachine"
    definition     its Definition, as Step Functions receives it except that the ${Name}
                   placeholders are left in their strings for the reader to substitute
    substitutions  the names DefinitionSubstitutions gives a value, sorted: ["SyncFunctionArn", ...]
"""
import json
import os
import sys
from pathlib import Path

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.yaml"

# Logical id -> (variable, default name): the same variables the functions read.
TABLE_NAMES = {
    "EventsTable": ("AUDIT_LOGS_TABLE", "audit-log-events"),
    "StateTable": ("AUDIT_LOGS_STATE_TABLE", "audit-log-state"),
}


class _CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation's short tags (!Ref x) as their long forms ({"Ref": x})."""


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        # !GetAtt Resource.Attribute is the one short form whose long form is a list.
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _short_tag)


def load_template(path: Path = TEMPLATE) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_CloudFormationLoader)


def _literal(value, where: str):
    """The table's data layout must not depend on parameters; refuse anything computed."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith(("Ref", "Fn::")):
        raise SystemExit(f"{TEMPLATE}: {where} is computed ({value}); tables.py needs a literal value")
    return value


def describe(template: dict) -> list[dict]:
    resources = template.get("Resources") or {}
    tables = {lid: r for lid, r in resources.items() if r.get("Type") == "AWS::DynamoDB::Table"}
    unknown = sorted(set(tables) - set(TABLE_NAMES))
    missing = sorted(set(TABLE_NAMES) - set(tables))
    if unknown or missing:
        raise SystemExit(
            f"{TEMPLATE}: tables.py maps {sorted(TABLE_NAMES)} to variables; "
            f"unmapped tables {unknown}, missing tables {missing}"
        )
    described = []
    for logical_id in sorted(tables):
        props = tables[logical_id].get("Properties") or {}
        env_var, default_name = TABLE_NAMES[logical_id]
        ttl = props.get("TimeToLiveSpecification") or {}
        ttl_enabled = _literal(ttl.get("Enabled", False), f"{logical_id} TTL Enabled")
        described.append(
            {
                "logical_id": logical_id,
                "env_var": env_var,
                "default_name": default_name,
                "billing_mode": _literal(props.get("BillingMode", "PROVISIONED"), f"{logical_id} BillingMode"),
                "key_schema": _literal(props["KeySchema"], f"{logical_id} KeySchema"),
                "attribute_definitions": _literal(props["AttributeDefinitions"], f"{logical_id} AttributeDefinitions"),
                "global_secondary_indexes": [
                    {k: gsi[k] for k in ("IndexName", "KeySchema", "Projection")}
                    for gsi in _literal(props.get("GlobalSecondaryIndexes", []), f"{logical_id} GSIs")
                ],
                "ttl_attribute": ttl.get("AttributeName") if ttl_enabled in (True, "true", "True") else None,
            }
        )
    return described


def state_machine(template: dict) -> dict:
    resources = template.get("Resources") or {}
    machines = sorted(lid for lid, r in resources.items() if r.get("Type") == "AWS::StepFunctions::StateMachine")
    if len(machines) != 1:
        raise SystemExit(f"{TEMPLATE}: tables.py expects one AWS::StepFunctions::StateMachine, found {machines}")
    logical_id = machines[0]
    props = resources[logical_id].get("Properties") or {}
    definition = props.get("Definition")
    if not isinstance(definition, dict):
        raise SystemExit(f"{TEMPLATE}: {logical_id} needs an inline Definition object (not DefinitionString or a file)")
    _no_intrinsics(definition, f"{logical_id} Definition")
    substitutions = props.get("DefinitionSubstitutions") or {}
    return {"logical_id": logical_id, "definition": definition, "substitutions": sorted(substitutions)}


def _no_intrinsics(value, where: str) -> None:
    """A reader cannot resolve !Ref or !Sub: the definition may only use ${...} placeholders."""
    if isinstance(value, dict):
        _literal(value, where)
        for key, item in value.items():
            _no_intrinsics(item, f"{where}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_intrinsics(item, f"{where}/{index}")


def table_name(table: dict) -> str:
    return os.environ.get(table["env_var"], "").strip() or table["default_name"]


def create(tables: list[dict]) -> list[str]:
    import boto3  # only `create` talks to AWS; `describe` must work without boto3's setup

    client = boto3.client("dynamodb")
    created = []
    for table in tables:
        name = table_name(table)
        request = {
            "TableName": name,
            "KeySchema": table["key_schema"],
            "AttributeDefinitions": table["attribute_definitions"],
            "BillingMode": table["billing_mode"],
        }
        if table["billing_mode"] == "PROVISIONED":
            request["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        if table["global_secondary_indexes"]:
            request["GlobalSecondaryIndexes"] = table["global_secondary_indexes"]
        try:
            client.create_table(**request)
        except client.exceptions.ResourceInUseException:
            pass  # already there: creating is idempotent, and an existing table keeps its data
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        if table["ttl_attribute"]:
            current = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                client.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table["ttl_attribute"]},
                )
        created.append(name)
    return created


def main(argv: list[str]) -> int:
    if argv == ["describe"]:
        json.dump(describe(load_template()), sys.stdout, indent=2)
        print()
        return 0
    if argv == ["state-machine"]:
        json.dump(state_machine(load_template()), sys.stdout, indent=2)
        print()
        return 0
    if argv == ["create"]:
        for name in create(describe(load_template())):
            print(name)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
