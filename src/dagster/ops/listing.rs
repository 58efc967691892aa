//! Every backfill of the instance, listed page by page with only what tells
//! them apart (id, creation time, status, tags).
//!
//! Asking Dagster for the backfills carrying one tag costs it a scan of the
//! instance's backfills per tag value; listing them all once and matching
//! tags here costs a fraction of a millisecond per backfill (see
//! `bench/status.md`). The listing is bounded: at most [`MAX_PAGES`] pages
//! of [`PAGE`], and the client's deadline.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::json;

use super::answer::Results;
use super::tagged::{FeedEntry, Found};
use crate::dagster::{Client, Error};

/// Backfills asked for per page.
pub const PAGE: u32 = 1000;

/// Pages read at most: [`list_backfills`] reads up to `MAX_PAGES * PAGE`
/// (100,000) backfills.
pub const MAX_PAGES: usize = 100;

/// One page of the listing.
#[derive(Debug)]
struct Page {
    found: Vec<Found>,
    cursor: Option<String>,
    more: bool,
}

/// Every backfill of the instance, newest first, each once.
///
/// Reads page after page while Dagster says there are more, at most
/// [`MAX_PAGES`]; an instance with more backfills than that is an error
/// saying so, never a partial list taken for the whole (a request whose
/// launch lies beyond the cap would otherwise be reported not launched).
/// The client's deadline bounds the time.
pub fn list_backfills(client: &Client) -> Result<Vec<Found>, Error> {
    paginate(MAX_PAGES, |cursor| page(client, cursor))
}

/// The pages `fetch` gives for each cursor, from none, joined; at most `cap` pages.
fn paginate(
    cap: usize,
    mut fetch: impl FnMut(Option<&str>) -> Result<Page, Error>,
) -> Result<Vec<Found>, Error> {
    let mut out: Vec<Found> = Vec::new();
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    for _ in 0..cap {
        let page = fetch(cursor.as_deref())?;
        for f in page.found {
            if seen.insert(f.id.clone()) {
                out.push(f);
            }
        }
        if !page.more {
            return Ok(out);
        }
        match page.cursor {
            Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
            _ => {
                return Err(Error::unexpected(
                    "listing backfills: Dagster says there are more but gives no new cursor to read them from",
                ));
            }
        }
    }
    Err(Error::unexpected(format!(
        "listing backfills: the instance holds more than {} backfills ({cap} pages of {PAGE}), \
         more than this version reads; nothing is reported rather than a partial answer",
        out.len()
    )))
}

/// The page after `cursor` (the first without one).
fn page(client: &Client, cursor: Option<&str>) -> Result<Page, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        runs_feed_or_error: Answer,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        cursor: Option<String>,
        has_more: Option<bool>,
        #[serde(flatten)]
        list: Results<FeedEntry>,
    }
    let what = "listing backfills";
    let data: Data = client.query(
        what,
        include_str!("../queries/list_backfills.graphql"),
        json!({ "limit": PAGE, "cursor": cursor }),
    )?;
    let a = data.runs_feed_or_error;
    Ok(Page {
        found: a
            .list
            .list(what)?
            .into_iter()
            .filter_map(FeedEntry::backfill)
            .collect(),
        cursor: a.cursor,
        more: a.has_more.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(id: &str) -> Found {
        Found {
            id: id.to_owned(),
            created: 0.0,
            status: "REQUESTED".to_owned(),
            tags: Vec::new(),
        }
    }

    /// Canned pages: `pages[i]` answers the i-th request; the cursors asked with are recorded.
    fn canned<'a>(
        pages: Vec<(Vec<&'static str>, Option<&'static str>, bool)>,
        asked: &'a mut Vec<Option<String>>,
    ) -> impl FnMut(Option<&str>) -> Result<Page, Error> + 'a {
        let mut pages = pages.into_iter();
        move |cursor| {
            asked.push(cursor.map(str::to_owned));
            let (ids, next, more) = pages.next().expect("asked for a page past the last");
            Ok(Page {
                found: ids.into_iter().map(found).collect(),
                cursor: next.map(str::to_owned),
                more,
            })
        }
    }

    fn ids(found: &[Found]) -> Vec<&str> {
        found.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn pages_are_read_from_each_cursor_until_there_are_no_more() {
        let mut asked = Vec::new();
        let pages = vec![
            (vec!["a", "b"], Some("c1"), true),
            (vec!["b", "c"], Some("c2"), true),
            (vec!["d"], Some("c3"), false),
        ];
        let all = paginate(10, canned(pages, &mut asked)).unwrap();
        // A backfill listed on two pages (one created meanwhile) counts once.
        assert_eq!(ids(&all), ["a", "b", "c", "d"]);
        assert_eq!(asked, [None, Some("c1".into()), Some("c2".into())]);
    }

    #[test]
    fn one_page_without_more_is_one_request() {
        let mut asked = Vec::new();
        let all = paginate(10, canned(vec![(vec!["a"], Some("x"), false)], &mut asked)).unwrap();
        assert_eq!(ids(&all), ["a"]);
        assert_eq!(asked.len(), 1);
    }

    #[test]
    fn the_cap_is_an_error_that_says_so_not_a_partial_list() {
        let mut asked = Vec::new();
        let pages = vec![(vec!["a"], Some("c1"), true), (vec!["b"], Some("c2"), true)];
        let e = paginate(2, canned(pages, &mut asked)).unwrap_err();
        assert_eq!(asked.len(), 2, "no page past the cap is asked for");
        assert!(
            e.to_string()
                .contains("the instance holds more than 2 backfills (2 pages of 1000)"),
            "{e}"
        );
        assert!(e.to_string().contains("nothing is reported"), "{e}");
    }

    #[test]
    fn more_without_a_new_cursor_stops_with_an_error() {
        for next in [None, Some("c1")] {
            let mut asked = Vec::new();
            let pages = vec![(vec!["a"], Some("c1"), true), (vec!["b"], next, true)];
            let e = paginate(10, canned(pages, &mut asked)).unwrap_err();
            assert_eq!(asked.len(), 2);
            assert!(e.to_string().contains("no new cursor"), "{e}");
        }
    }
}
