//! The kinds of request: the `kind` key of a spec, and the one-value
//! markers each kind's struct holds so the schema pins its `kind`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The kinds of request, as written in the `kind` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A partition backfill of a job (the default).
    Backfill,
    /// One run of a job.
    Run,
    /// A backfill of assets.
    AssetBackfill,
    /// Re-execution of an earlier request's failed runs.
    Reexecute,
    /// Cancellation of what an earlier request launched.
    Cancel,
    /// One run materialising assets (unpartitioned ones), like the UI's "Materialize".
    Materialize,
}

impl Kind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [Kind; 6] = [
        Kind::Backfill,
        Kind::Run,
        Kind::AssetBackfill,
        Kind::Reexecute,
        Kind::Cancel,
        Kind::Materialize,
    ];

    /// The spelling used in specs, labels and file names.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Backfill => "backfill",
            Kind::Run => "run",
            Kind::AssetBackfill => "asset_backfill",
            Kind::Reexecute => "reexecute",
            Kind::Cancel => "cancel",
            Kind::Materialize => "materialize",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! kind_marker {
    ($(#[$doc:meta])* $name:ident = $value:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            #[doc = concat!("`", $value, "`")]
            #[serde(rename = $value)]
            Only,
        }
    };
}

kind_marker!(
    /// The `kind` of a backfill: `backfill`.
    BackfillKind = "backfill"
);
kind_marker!(
    /// The `kind` of a job run: `run`.
    RunKind = "run"
);
kind_marker!(
    /// The `kind` of an asset backfill: `asset_backfill`.
    AssetBackfillKind = "asset_backfill"
);
kind_marker!(
    /// The `kind` of a re-execution: `reexecute`.
    ReexecuteKind = "reexecute"
);
kind_marker!(
    /// The `kind` of a cancellation: `cancel`.
    CancelKind = "cancel"
);
kind_marker!(
    /// The `kind` of a materialisation: `materialize`.
    MaterializeKind = "materialize"
);
