//! Estimated monthly cost: vCPU-hours and GB-hours × task count, Fargate Spot discounted.

use serde::{Deserialize, Serialize};

use super::model::StrategyItem;

/// Fargate prices. Defaults are us-east-1 Linux list prices (USD); override with a YAML file
/// (`--price-table`) for other regions or negotiated rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceTable {
    /// Per vCPU-hour, X86_64.
    pub vcpu_hour_x86: f64,
    /// Per GB-hour of memory, X86_64.
    pub gb_hour_x86: f64,
    /// Per vCPU-hour, ARM64.
    pub vcpu_hour_arm: f64,
    /// Per GB-hour of memory, ARM64.
    pub gb_hour_arm: f64,
    /// Per GB-hour of ephemeral storage above the free 20 GB.
    pub ephemeral_gb_hour: f64,
    /// Fraction knocked off for tasks on FARGATE_SPOT (0.7 = 70% cheaper).
    pub spot_discount: f64,
    /// Hours in a billing month.
    pub hours_per_month: f64,
}

impl Default for PriceTable {
    fn default() -> Self {
        Self {
            vcpu_hour_x86: 0.04048,
            gb_hour_x86: 0.004445,
            vcpu_hour_arm: 0.03238,
            gb_hour_arm: 0.00356,
            ephemeral_gb_hour: 0.000111,
            spot_discount: 0.7,
            hours_per_month: 730.0,
        }
    }
}

/// The size of one task.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSize {
    /// CPU units.
    pub cpu: i32,
    /// Memory MiB.
    pub memory: i32,
    /// Graviton.
    pub arm64: bool,
    /// Ephemeral storage GiB (None = 20).
    pub ephemeral_storage_gib: Option<i32>,
}

/// How many of `count` tasks ECS places on FARGATE_SPOT under `strategy` (fractional: the
/// weighted share beyond the base).
pub fn spot_tasks(count: i32, strategy: &[StrategyItem]) -> f64 {
    let count = f64::from(count.max(0));
    let base_item = strategy.iter().find(|i| i.base > 0);
    let base = base_item.map_or(0.0, |i| f64::from(i.base).min(count));
    let base_on_spot = base_item.is_some_and(|i| i.capacity_provider == "FARGATE_SPOT");
    let total_weight: i32 = strategy.iter().map(|i| i.weight).sum();
    let spot_weight: i32 = strategy
        .iter()
        .filter(|i| i.capacity_provider == "FARGATE_SPOT")
        .map(|i| i.weight)
        .sum();
    let rest = count - base;
    let weighted = if total_weight > 0 {
        rest * f64::from(spot_weight) / f64::from(total_weight)
    } else {
        0.0
    };
    weighted + if base_on_spot { base } else { 0.0 }
}

/// Estimated monthly cost in USD, rounded to cents.
pub fn estimate_monthly_cost(
    size: &TaskSize,
    count: i32,
    strategy: &[StrategyItem],
    prices: &PriceTable,
) -> f64 {
    let (vcpu, gb) = if size.arm64 {
        (prices.vcpu_hour_arm, prices.gb_hour_arm)
    } else {
        (prices.vcpu_hour_x86, prices.gb_hour_x86)
    };
    let storage = f64::from(
        size.ephemeral_storage_gib
            .unwrap_or(20)
            .saturating_sub(20)
            .max(0),
    );
    let per_task_hour = f64::from(size.cpu) / 1024.0 * vcpu
        + f64::from(size.memory) / 1024.0 * gb
        + storage * prices.ephemeral_gb_hour;
    let count_f = f64::from(count.max(0));
    let spot = spot_tasks(count, strategy);
    let effective = (count_f - spot) + spot * (1.0 - prices.spot_discount);
    (per_task_hour * effective * prices.hours_per_month * 100.0).round() / 100.0
}

/// The extra cost of one deployment that keeps both revisions running for `minutes` (the
/// bake times of a BlueGreen, Canary or Linear deployment): `count` more tasks for that
/// long, at the same prices and Spot share. Rounded to cents.
pub fn overlap_cost(
    size: &TaskSize,
    count: i32,
    strategy: &[StrategyItem],
    prices: &PriceTable,
    minutes: i32,
) -> f64 {
    let hourly = estimate_monthly_cost(size, count, strategy, prices) / prices.hours_per_month;
    (hourly * f64::from(minutes.max(0)) / 60.0 * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(cpu: i32, memory: i32) -> TaskSize {
        TaskSize {
            cpu,
            memory,
            arm64: false,
            ephemeral_storage_gib: None,
        }
    }

    #[test]
    fn one_quarter_vcpu_half_gb_on_demand() {
        // 0.25 × 0.04048 + 0.5 × 0.004445 = 0.0123425 $/h × 730 h = 9.01
        let c = estimate_monthly_cost(
            &size(256, 512),
            1,
            &[StrategyItem::new("FARGATE", 0, 1)],
            &PriceTable::default(),
        );
        assert!((c - 9.01).abs() < 0.005, "{c}");
    }

    #[test]
    fn a_blue_green_bake_costs_the_extra_tasks_for_its_minutes() {
        // 4 tasks of 1 vCPU / 2 GB: 4 × (0.04048 + 2 × 0.004445) = 0.19748 $/h; two hours
        // of bake = 0.39 $.
        let on = [StrategyItem::new("FARGATE", 0, 1)];
        let c = overlap_cost(&size(1024, 2048), 4, &on, &PriceTable::default(), 120);
        assert!((c - 0.39).abs() < 0.011, "{c}");
        assert_eq!(
            overlap_cost(&size(1024, 2048), 4, &on, &PriceTable::default(), 0),
            0.0
        );
    }

    #[test]
    fn spot_share_follows_base_then_weights() {
        let s = vec![
            StrategyItem::new("FARGATE", 2, 1),
            StrategyItem::new("FARGATE_SPOT", 0, 3),
        ];
        // 2 on the base, 8 left split 1:3 → 6 on spot
        assert!((spot_tasks(10, &s) - 6.0).abs() < 1e-9);
        assert!((spot_tasks(1, &s) - 0.0).abs() < 1e-9);
        let all_spot = vec![StrategyItem::new("FARGATE_SPOT", 0, 1)];
        let on_demand = estimate_monthly_cost(
            &size(1024, 2048),
            4,
            &[StrategyItem::new("FARGATE", 0, 1)],
            &PriceTable::default(),
        );
        let spot = estimate_monthly_cost(&size(1024, 2048), 4, &all_spot, &PriceTable::default());
        assert!(
            (spot / on_demand - 0.3).abs() < 0.01,
            "{spot} vs {on_demand}"
        );
    }
}
