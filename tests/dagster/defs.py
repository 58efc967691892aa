"""Test code location ``luchtmeetnet_ingestion`` for the runner's integration tests.

Derived from shared/dagster-lab/defs.py and shaped like the seed: a
``dg.Definitions`` object, so its one repository is ``__repository__``.

  ingestion_job  asset job over daily (from 2024-01-01) x stations
  cleanup_job    unpartitioned op job with a required config field
  daily_summary  daily-partitioned asset (asset backfills)
  flaky_job      op job over daily x stations that fails for FAIL_KEY, unless
                 the run re-executes an earlier one (so a re-execution succeeds)
  wide_job       op job over 10 days x 1000 sensors = 10,000 partitions
"""

import dagster as dg

STATIONS = ["NL01497", "NL01912", "NL01913"]

daily_partitions = dg.DailyPartitionsDefinition(start_date="2024-01-01")
multi_partitions = dg.MultiPartitionsDefinition(
    {"daily": daily_partitions, "stations": dg.StaticPartitionsDefinition(STATIONS)}
)

# The one partition of flaky_job whose run fails.
FAIL_KEY = "2024-02-01|NL01912"


@dg.asset(partitions_def=multi_partitions)
def luchtmeetnet_measurements(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    dims = context.partition_key.keys_by_dimension
    return dg.MaterializeResult(metadata={"station": dims["stations"], "day": dims["daily"]})


ingestion_job = dg.define_asset_job(
    "ingestion_job", selection=[luchtmeetnet_measurements], partitions_def=multi_partitions
)


class CleanupConfig(dg.Config):
    older_than_days: int  # required: no default


@dg.op
def cleanup(context: dg.OpExecutionContext, config: CleanupConfig) -> None:
    context.log.info(f"cleanup older_than_days={config.older_than_days}")


@dg.job
def cleanup_job():
    cleanup()


@dg.asset(partitions_def=daily_partitions)
def daily_summary(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"day": context.partition_key})


@dg.op
def flaky_ingest(context: dg.OpExecutionContext) -> None:
    if context.partition_key == FAIL_KEY and context.run.parent_run_id is None:
        raise Exception(f"simulated failure for partition {context.partition_key}")


@dg.job(partitions_def=multi_partitions)
def flaky_job():
    flaky_ingest()


wide_partitions = dg.MultiPartitionsDefinition(
    {
        "daily": dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-11"),
        "sensors": dg.StaticPartitionsDefinition([f"S{i:04d}" for i in range(1000)]),
    }
)


@dg.op
def wide_op() -> None:
    pass


@dg.job(partitions_def=wide_partitions)
def wide_job():
    wide_op()


defs = dg.Definitions(
    assets=[luchtmeetnet_measurements, daily_summary],
    jobs=[ingestion_job, cleanup_job, flaky_job, wide_job],
    # One process per run instead of one per step: keeps the tests fast on 2 cores.
    executor=dg.in_process_executor,
)
