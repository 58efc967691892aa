//! What Kubernetes refuses in a container's requests and limits.
//!
//! A quantity the grammar accepts can still be one the API server or the
//! kubelet refuses, or one that makes the Job fail to sync: a zero limit, a
//! request above its limit once a spec's overrides are merged with the
//! settings' defaults, an amount too large for its 63 bits, and memory in
//! fractions of a byte (`100m` for `100Mi`: Kubernetes only warns, and the
//! pod gets no memory to speak of).
//! The compiler checks both the settings and each spec's overrides with the
//! rules here, so such a Job never reaches the cluster.

use super::strings::Quantity;

/// The two resources a spec may set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// CPU, in cores.
    Cpu,
    /// Memory, in bytes.
    Memory,
}

impl Resource {
    /// Both, in the order specs and settings list them.
    pub const ALL: [Resource; 2] = [Resource::Cpu, Resource::Memory];

    /// The key naming it (`cpu`, `memory`).
    pub fn key(self) -> &'static str {
        match self {
            Resource::Cpu => "cpu",
            Resource::Memory => "memory",
        }
    }
}

/// Billionths of the unit per unit of each suffix.
fn nanos_per_unit(suffix: &str) -> Option<u128> {
    let bin = |p: u32| 1024u128.pow(p) * 1_000_000_000;
    Some(match suffix {
        "m" => 1_000_000,
        "" => 1_000_000_000,
        "k" => 1_000_000_000_000,
        "M" => 1_000_000_000_000_000,
        "G" => 1_000_000_000_000_000_000,
        "T" => 1_000_000_000_000_000_000_000,
        "Ki" => bin(1),
        "Mi" => bin(2),
        "Gi" => bin(3),
        "Ti" => bin(4),
        _ => return None,
    })
}

/// Kubernetes keeps a quantity in 63 bits of its unit (`Value()`) and CPU
/// in 63 bits of millicores (`MilliValue()`); beyond that it overflows.
const MAX_UNITS: u128 = i64::MAX as u128;

impl Quantity {
    /// The amount in billionths of its unit (nanocores, nanobytes), rounded
    /// up as Kubernetes rounds; `None` when it is too large to hold.
    pub fn nanos(&self) -> Option<u128> {
        let s = self.as_str();
        let end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (number, suffix) = s.split_at(end);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let per_unit = nanos_per_unit(suffix)?;
        let digits: u128 = format!("{whole}{fraction}").parse().ok()?;
        let scale = 10u128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
        let scaled = digits.checked_mul(per_unit)?;
        Some(scaled.div_ceil(scale))
    }
}

/// Why Kubernetes refuses `q` as `resource`, alone: a message and a hint.
pub fn quantity_problem(resource: Resource, q: &Quantity) -> Option<(String, String)> {
    let key = resource.key();
    let Some(nanos) = q.nanos() else {
        return Some((
            format!("{key} `{q}` is too large for Kubernetes"),
            "give a realistic amount, e.g. `500m` CPU or `1Gi` memory".to_owned(),
        ));
    };
    let limit = match resource {
        Resource::Cpu => MAX_UNITS / 1000,
        Resource::Memory => MAX_UNITS,
    };
    if nanos > limit * 1_000_000_000 {
        return Some((
            format!("{key} `{q}` is too large for Kubernetes"),
            "give a realistic amount, e.g. `500m` CPU or `1Gi` memory".to_owned(),
        ));
    }
    if nanos == 0 {
        return Some((
            format!("{key} `{q}` is zero"),
            "a container needs some of it: give an amount above zero, or leave the key out to keep the settings' value".to_owned(),
        ));
    }
    if resource == Resource::Memory && nanos % 1_000_000_000 != 0 {
        let meant = q.as_str().strip_suffix('m').map_or_else(
            || "a whole number of bytes".to_owned(),
            |n| format!("`{n}Mi`"),
        );
        return Some((
            format!("memory `{q}` is a fraction of a byte (`m` means thousandths)"),
            format!(
                "did you mean {meant}? Memory is counted in bytes: `Mi` and `Gi` are mebi- and gibibytes"
            ),
        ));
    }
    None
}

/// Whether `request` is more than `limit` (which Kubernetes refuses).
pub fn exceeds(request: &Quantity, limit: &Quantity) -> bool {
    match (request.nanos(), limit.nanos()) {
        (Some(r), Some(l)) => r > l,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::new(s).unwrap()
    }

    #[test]
    fn amounts_compare_across_suffixes() {
        assert_eq!(q("1").nanos(), Some(1_000_000_000));
        assert_eq!(q("100m").nanos(), q("0.1").nanos());
        assert_eq!(q("1Gi").nanos(), q("1024Mi").nanos());
        assert_eq!(q("1k").nanos(), q("1000").nanos());
        assert!(exceeds(&q("1Gi"), &q("64Mi")));
        assert!(exceeds(&q("1G"), &q("953Mi")));
        assert!(!exceeds(&q("1G"), &q("954Mi")));
        assert!(!exceeds(&q("250m"), &q("0.25")));
        assert!(exceeds(&q("251m"), &q("0.25")));
    }

    #[test]
    fn what_kubernetes_refuses() {
        for (resource, bad) in [
            (Resource::Cpu, "0"),
            (Resource::Memory, "0Mi"),
            (Resource::Memory, "0.0"),
            (Resource::Memory, "100m"),
            (Resource::Memory, "0.5"),
            (
                Resource::Memory,
                "99999999999999999999999999999999999999999",
            ),
            (Resource::Memory, "9000000Ti"),
            (Resource::Cpu, "10000000000000000"),
        ] {
            assert!(quantity_problem(resource, &q(bad)).is_some(), "{bad}");
        }
        for (resource, ok) in [
            (Resource::Cpu, "1m"),
            (Resource::Cpu, "0.5"),
            (Resource::Memory, "64Mi"),
            (Resource::Memory, "1.5Gi"),
            (Resource::Memory, "1000"),
        ] {
            assert_eq!(quantity_problem(resource, &q(ok)), None, "{ok}");
        }
        assert!(
            quantity_problem(Resource::Memory, &q("100m"))
                .unwrap()
                .1
                .contains("`100Mi`")
        );
    }
}
