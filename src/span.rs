//! Byte spans into the query text.

use serde::{Deserialize, Serialize};

/// A half-open byte range `start..end` into the source text.
///
/// Spans are data for diagnostics, not part of a node's meaning: `Span`'s
/// `PartialEq` is always `true`, so two syntax trees that differ only in
/// positions compare equal (this is what makes `parse(ast.to_string()) == ast`
/// hold). Compare `start`/`end` directly when positions matter.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (swapped if given backwards).
    pub fn new(start: usize, end: usize) -> Self {
        if end < start {
            Span {
                start: end,
                end: start,
            }
        } else {
            Span { start, end }
        }
    }

    /// An empty span at `at`.
    pub fn point(at: usize) -> Self {
        Span { start: at, end: at }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// `true` when the span covers no byte.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Positions are equal (the derived-free comparison `PartialEq` does not do).
    pub fn same_position(&self, other: &Span) -> bool {
        self.start == other.start && self.end == other.end
    }
}

impl PartialEq for Span {
    /// Always `true`: positions are not part of a node's meaning.
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Eq for Span {}
