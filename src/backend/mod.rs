//! Backends: [`ir::Query`] → each CRM's native request.
//!
//! A backend consumes only the validated intermediate form, never the AST,
//! and returns a structured, serialisable request value. A construct the
//! target cannot express exactly is rejected with a `B…` code naming the
//! target and the construct — never approximated silently.
//!
//! | target | module | request |
//! |---|---|---|
//! | salesforce | [`soql`] | [`soql::SoqlQuery`]: the SOQL statement |
//! | dynamics | [`odata`] | [`odata::ODataRequest`]: entity set, `$select`/`$filter`/`$orderby`/`$top`/`$expand`, headers, client paging plan |
//! | sugarcrm | [`sugar`] | [`sugar::SugarRequest`]: module and `POST /rest/v11/<Module>/filter` body |

use std::fmt;

use serde::Serialize;

use crate::error::{Error, Errors};
use crate::{ir, Options, Target};

pub mod odata;
pub mod soql;
pub mod sugar;

/// The native request for one target.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Request {
    /// Salesforce SOQL.
    Salesforce(soql::SoqlQuery),
    /// Dynamics / Dataverse OData.
    Dynamics(odata::ODataRequest),
    /// SugarCRM filter request.
    Sugarcrm(sugar::SugarRequest),
}

impl Request {
    /// The target this request is for.
    pub fn target(&self) -> Target {
        match self {
            Request::Salesforce(_) => Target::Salesforce,
            Request::Dynamics(_) => Target::Dynamics,
            Request::Sugarcrm(_) => Target::Sugarcrm,
        }
    }
}

/// The text form printed by `kql translate`: the SOQL statement, the decoded
/// OData `entity_set?query`, or the SugarCRM body JSON.
impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Salesforce(q) => fmt::Display::fmt(q, f),
            Request::Dynamics(q) => fmt::Display::fmt(q, f),
            Request::Sugarcrm(q) => fmt::Display::fmt(q, f),
        }
    }
}

/// A successful translation: the request plus every warning of validation
/// and lowering.
///
/// Serialises as the `kql translate --format json` contract: `{"target", "warnings", …request fields}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Translation {
    /// The target.
    pub target: Target,
    /// The request.
    #[serde(flatten)]
    pub request: Request,
    /// Warnings (rendered with [`Errors::render`]).
    pub warnings: Vec<Error>,
}

/// [`IDENT`] class of an ASCII letter.
pub(crate) const LETTER: u8 = 1;
/// [`IDENT`] class of an ASCII digit.
pub(crate) const DIGIT: u8 = 2;
/// [`IDENT`] class of `_`.
pub(crate) const UNDERSCORE: u8 = 4;
/// [`IDENT`] class of a byte no name contains, other than `.`.
pub(crate) const BAD: u8 = 8;
/// [`IDENT`] class of `.`, which no name contains either but which joins
/// the names of a path.
pub(crate) const DOT: u8 = 16;

/// The class of each byte in a name: [`LETTER`], [`DIGIT`], [`UNDERSCORE`],
/// [`DOT`] or [`BAD`]. Shared by the backends, whose name grammars are
/// spelled as masks of these classes (SOQL starts a name with a letter,
/// Dataverse and SugarCRM with a letter or `_`), so that checking a byte is
/// one table load and one test.
pub(crate) const IDENT: [u8; 256] = {
    let mut t = [BAD; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphabetic() {
            t[b] = LETTER;
        } else if c.is_ascii_digit() {
            t[b] = DIGIT;
        } else if c == b'_' {
            t[b] = UNDERSCORE;
        } else if c == b'.' {
            t[b] = DOT;
        }
        b += 1;
    }
    t
};

/// Every two-digit number `00`–`99`, in order.
const DIGIT_PAIRS: &str = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

/// Appends `n` in decimal, as `write!(out, "{n}")` does but without the
/// formatting machinery: two digits at a time, each pair one copy.
pub(crate) fn push_u64(out: &mut String, n: u64) {
    if n >= 100 {
        push_u64(out, n / 100);
        let k = (n % 100) as usize * 2;
        out.push_str(&DIGIT_PAIRS[k..k + 2]);
    } else if n >= 10 {
        let k = n as usize * 2;
        out.push_str(&DIGIT_PAIRS[k..k + 2]);
    } else {
        let k = n as usize * 2 + 1;
        out.push_str(&DIGIT_PAIRS[k..k + 1]);
    }
}

/// Lowers a validated query for `target`.
pub fn lower(
    q: &ir::Query<'_>,
    target: Target,
    options: &Options,
) -> Result<(Request, Vec<Error>), Errors> {
    match target {
        Target::Salesforce => soql::lower(q, options).map(|(r, w)| (Request::Salesforce(r), w)),
        Target::Dynamics => odata::lower(q, options).map(|(r, w)| (Request::Dynamics(r), w)),
        Target::Sugarcrm => sugar::lower(q, options).map(|(r, w)| (Request::Sugarcrm(r), w)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn push_u64_writes_decimal() {
        let mut n = 1u64;
        let mut cases = vec![
            0,
            9,
            10,
            99,
            100,
            101,
            999,
            1000,
            2000,
            u64::MAX,
            u64::MAX - 1,
        ];
        while let Some(m) = n.checked_mul(7) {
            cases.extend([n, n - 1, n + 1]);
            n = m;
        }
        for n in cases {
            let mut s = String::from("x");
            super::push_u64(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }
}
