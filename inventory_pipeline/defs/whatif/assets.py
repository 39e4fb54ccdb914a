"""The promotion what-if: one partition per scenario file, answered from the champion.

A scenario file dropped in the ``what_if/`` folder becomes a dynamic partition (the sensor adds
it, or add it in the UI under the same name as the file without its extension) and a run of
``promotion_scenarios`` for it: each SKU forecast with and without the promotion as of the latest
export day, written to ``promotion_scenarios/scenario=<key>/``.
"""

from datetime import date

import dagster as dg

from inventory_pipeline import tracking
from inventory_pipeline.defs.partitions import scenario_partitions
from inventory_pipeline.defs.resources import (
    MlflowResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.defs.whatif.resources import ScenarioFolderResource
from inventory_pipeline.features.sources import latest_export
from inventory_pipeline.forecasting import ModelRef
from inventory_pipeline.plots import markdown_image
from inventory_pipeline.whatif import (
    answer_scenario,
    find_scenario_file,
    read_features,
    read_scenario,
)
from inventory_pipeline.whatif.answer import publish_answer
from inventory_pipeline.whatif.plots import scenario_png
from inventory_pipeline.whatif.report import ranking_markdown


class ScenarioRunConfig(dg.Config):
    """When "today" is for the what-if."""

    as_of: str = ""  # YYYY-MM-DD; empty: the latest export day in the warehouse


@dg.asset(
    group_name="what_if",
    kinds={"pytorch", "mlflow", "parquet"},
    owners=["team:merchandising"],
    partitions_def=scenario_partitions,
    description="A planned promotion forecast with and without it: uplift, dip, margin, order now.",
)
def promotion_scenarios(
    context: dg.AssetExecutionContext,
    config: ScenarioRunConfig,
    warehouse: WarehouseResource,
    mlflow_registry: MlflowResource,
    shop: ShopSettingsResource,
    what_if: ScenarioFolderResource,
) -> dg.MaterializeResult:
    key = context.partition_key
    path = find_scenario_file(what_if.root(), key)
    scenario = read_scenario(path)
    wh = warehouse.warehouse()
    settings = shop.settings()
    mlflow_registry.configure()
    forecaster, version = tracking.load_champion(
        mlflow_registry.registered_model, embedding_cache_dir=wh.root / "embeddings"
    )
    as_of = date.fromisoformat(config.as_of) if config.as_of else latest_export(wh)
    context.log.info(
        f"scenario {key} from {path}: {scenario.describe()}, {scenario.start} to {scenario.end}, "
        f"discounts {list(scenario.discounts)}; as of {as_of}, model version {version}"
    )
    features = read_features(wh, as_of, forecaster, scenario, settings.feature_config())
    answer = answer_scenario(
        forecaster, features, scenario,
        ModelRef(mlflow_registry.registered_model, version), settings.reorder_config(),
    )  # fmt: skip
    publish_answer(wh, key, answer)
    png = scenario_png(answer)
    chart = wh.root / "plots" / f"what_if_{key}.png"
    chart.parent.mkdir(parents=True, exist_ok=True)
    chart.write_bytes(png)
    best = answer.ranking.row(0, named=True)
    return dg.MaterializeResult(
        metadata={
            "scenario_file": dg.MetadataValue.path(str(path)),
            "as_of": as_of.isoformat(),
            "model_version": version,
            "skus": int(answer.rows["sku"].n_unique()),
            "rows": answer.rows.height,
            "best_discount_pct": dg.MetadataValue.float(float(best["discount_pct"])),
            "best_incremental_margin": dg.MetadataValue.float(float(best["incremental_margin"])),
            "ranking": dg.MetadataValue.md(
                ranking_markdown(answer.ranking, f" {settings.currency}")
            ),
            "plot": dg.MetadataValue.md(markdown_image(png, "uplift and margin by discount")),
            "plot_path": dg.MetadataValue.path(str(chart)),
        }
    )
