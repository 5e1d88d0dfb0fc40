//! Backend for Salesforce (skeleton: replaced by the real lowering in this change).

use std::fmt;

use serde::Serialize;

use crate::error::{Code, Error, Errors};
use crate::{ir, Options};

/// The Salesforce request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SoqlQuery {}

impl fmt::Display for SoqlQuery {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

/// Lowers a validated query.
pub fn lower(q: &ir::Query<'_>, _options: &Options) -> Result<(SoqlQuery, Vec<Error>), Errors> {
    Err(Error::new(Code::Internal, q.object.span, "not implemented").into())
}
