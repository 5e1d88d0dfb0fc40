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
