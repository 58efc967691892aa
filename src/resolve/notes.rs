//! What resolving has to say that is not a refusal (several launches carry
//! one request hash; `rerun_of` found more than one launch), told to the
//! caller instead of printed: the runner logs each as an event, `plan
//! --resolve` keeps them for the comment.

use std::cell::RefCell;

/// One thing worth telling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// A warning (something odd), not only information.
    pub warning: bool,
    /// A stable name for it (`duplicates`, `rerun_of`): the runner's event name.
    pub name: &'static str,
    /// What it says, for people.
    pub message: String,
    /// Ids it is about, by what they are (`launches`, `backfills`, `runs`).
    pub ids: Vec<(&'static str, Vec<String>)>,
}

/// Who is told.
pub trait Notes {
    /// Tells `note`.
    fn note(&self, note: Note);
}

/// Notes kept in order, for a caller that shows them later.
#[derive(Debug, Default)]
pub struct Kept(RefCell<Vec<Note>>);

impl Kept {
    /// Every note told so far, taken out.
    pub fn take(&self) -> Vec<Note> {
        self.0.take()
    }
}

impl Notes for Kept {
    fn note(&self, note: Note) {
        self.0.borrow_mut().push(note);
    }
}
