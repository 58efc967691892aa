"""Second test code location, ``legacy_location``.

Derived from shared/dagster-lab/legacy_repo.py: the older ``@dg.repository``
API names its repository ``luchtmeetnet_ingestion`` (the seed's
``repository_name``) and holds another job called ``ingestion_job``, so the
job name alone is ambiguous across the workspace.
"""

import dagster as dg

legacy_multi = dg.MultiPartitionsDefinition(
    {
        "daily": dg.DailyPartitionsDefinition(start_date="2024-01-01"),
        "stations": dg.StaticPartitionsDefinition(["NL01497", "NL01912", "NL01913"]),
    }
)


@dg.op
def legacy_ingest(context: dg.OpExecutionContext) -> None:
    context.log.info(f"legacy ingest partition={context.partition_key}")


@dg.job(partitions_def=legacy_multi, executor_def=dg.in_process_executor)
def ingestion_job():
    legacy_ingest()


@dg.repository(name="luchtmeetnet_ingestion")
def luchtmeetnet_ingestion_repo():
    return [ingestion_job]
