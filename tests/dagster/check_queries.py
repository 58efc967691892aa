"""Validates GraphQL documents against the schema of the installed dagster-graphql.

Offline (no server): the runner's documents must stay valid for the pinned
Dagster version. Same method as shared/dagster-lab/dump_schema.py --check.

usage: python check_queries.py FILE...   (exit 1 on any error)
"""

import sys

from dagster_graphql.schema import create_schema
from graphql import parse, validate


def main(paths: list[str]) -> int:
    schema = create_schema().graphql_schema
    bad = 0
    for path in paths:
        with open(path) as f:
            for error in validate(schema, parse(f.read())):
                bad += 1
                print(f"{path}: {error.message}", file=sys.stderr)
    print(f"{len(paths)} documents checked, {bad} errors", file=sys.stderr)
    return 1 if bad or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
