"""Test code location ``luchtmeetnet_ingestion`` for the runner's integration tests.

Derived from shared/dagster-lab/defs.py and shaped like the seed: a
``dg.Definitions`` object, so its one repository is ``__repository__``.

  ingestion_job  asset job over daily (from 2024-01-01) x stations
  cleanup_job    unpartitioned op job with a required config field
  daily_summary  daily-partitioned asset (asset backfills)
  flaky_job      op job over daily x stations that fails for FAIL_KEY, unless
                 the run re-executes an earlier one (so a re-execution succeeds)
  wide_job       op job over 10 days x 1000 sensors = 10,000 partitions
  hourly_job     op job over hours of January and February 2024 (2024-01-01-00:00)
  monthly_job    op job over months of 2023 and 2024, keys written 2024-01 (fmt %Y-%m)
  compact_job    op job over days from 2024-01-01, keys written 20240101 (fmt %Y%m%d)
  held_job       op job over days from 2024-01-01 whose runs stay in progress until
                 the file named by config `release_file` exists (at most 10 minutes)
  warehouse/weekly_report, warehouse/weekly_totals
                 weekly-partitioned assets (weeks start on Sunday; first key 2024-01-07), group ``reports``
  warehouse/station_catalog
                 unpartitioned asset with a required config field, group ``catalog``
"""

import os
import time


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


@dg.op
def tick() -> None:
    pass


@dg.job(partitions_def=dg.HourlyPartitionsDefinition(start_date="2024-01-01-00:00", end_date="2024-03-01-00:00"))
def hourly_job():
    tick()


@dg.job(partitions_def=dg.MonthlyPartitionsDefinition(start_date="2023-01", end_date="2025-01", fmt="%Y-%m"))
def monthly_job():
    tick()


@dg.job(partitions_def=dg.DailyPartitionsDefinition(start_date="20240101", fmt="%Y%m%d"))
def compact_job():
    tick()


class HoldConfig(dg.Config):
    release_file: str  # the run stays in progress until this file exists


@dg.op
def hold(context: dg.OpExecutionContext, config: HoldConfig) -> None:
    deadline = time.monotonic() + 600
    while not os.path.exists(config.release_file):
        if time.monotonic() > deadline:
            raise Exception(f"{config.release_file} did not appear within 10 minutes")
        time.sleep(0.5)
    context.log.info(f"released by {config.release_file}")


@dg.job(partitions_def=daily_partitions)
def held_job():
    hold()


weekly_partitions = dg.WeeklyPartitionsDefinition(start_date="2024-01-01")


@dg.asset(key_prefix=["warehouse"], group_name="reports", partitions_def=weekly_partitions)
def weekly_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"week": context.partition_key})


@dg.asset(key_prefix=["warehouse"], group_name="reports", partitions_def=weekly_partitions)
def weekly_totals(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"week": context.partition_key})


class CatalogConfig(dg.Config):
    source: str  # required: no default


@dg.asset(key_prefix=["warehouse"], group_name="catalog")
def station_catalog(context: dg.AssetExecutionContext, config: CatalogConfig) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"source": config.source})


defs = dg.Definitions(
    assets=[luchtmeetnet_measurements, daily_summary, weekly_report, weekly_totals, station_catalog],
    jobs=[ingestion_job, cleanup_job, flaky_job, wide_job, hourly_job, monthly_job, compact_job, held_job],
    # One process per run instead of one per step: keeps the tests fast on 2 cores.
    executor=dg.in_process_executor,
)
