//! One line of a batch: the library side of `kql translate --batch`.
//!
//! A batch is NDJSON, one request object per line:
//!
//! ```json
//! {"id": 7, "query": "SELECT Id FROM Account", "target": "salesforce", "lang": "kql", "extended": false}
//! ```
//!
//! `query` and `target` are required; `lang` (`"kql"` or `"dql"`) and
//! `extended` fall back on the caller's defaults; `id` is any JSON value and
//! is echoed exactly as written. Other fields are refused, so a misspelt
//! `extended` is not silently ignored.
//!
//! [`translate_line`] turns one line into a [`LineResult`], which serialises
//! as one result object:
//!
//! - translated: `{"line", "id", …}` followed by the `kql translate --format
//!   json` object of that target (`target`, the request fields, `warnings`);
//! - rejected by the compiler: `{"line", "id", "target", "errors": [diagnostic, …]}`;
//! - not a valid request (bad JSON, a missing or unknown field, an unknown
//!   target or language): `{"line", "id", "error": "message"}`, with `id`
//!   `null` when it could not be read.
//!
//! ```
//! use kql::batch::{translate_line, LineOutcome};
//! use kql::{Lang, Options};
//!
//! let r = translate_line(r#"{"id":"a1","query":"SELECT Id FROM Account","target":"salesforce"}"#,
//!                        1, Lang::Kql, &Options::default()).unwrap();
//! assert!(matches!(r.outcome, LineOutcome::Translated(_)));
//! let json = serde_json::to_string(&r).unwrap();
//! assert!(json.starts_with(r#"{"line":1,"id":"a1","target":"salesforce","soql":"SELECT Id FROM Account""#));
//! ```

use std::borrow::Cow;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::{Errors, Lang, Options, Target, Translation};

/// The result of one batch line.
#[derive(Debug)]
pub struct LineResult<'a> {
    /// The line number, from 1 (blank lines count).
    pub line: u64,
    /// The request's `id`, exactly as written; `None` when absent or unreadable.
    pub id: Option<&'a RawValue>,
    /// What became of the request.
    pub outcome: LineOutcome,
}

/// What became of one batch request.
// One value per line, written out and dropped: boxing the translation would
// cost an allocation per line for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum LineOutcome {
    /// Translated (possibly with warnings).
    Translated(Translation),
    /// The query was rejected for this target.
    Rejected {
        /// The target asked for.
        target: Target,
        /// The diagnostics (errors, and the warnings raised before them).
        errors: Errors,
    },
    /// The line is not a valid request; the message says why.
    Invalid(String),
}

impl LineResult<'_> {
    /// Whether the line raised a warning (a translation's, or one among a
    /// rejection's diagnostics).
    pub fn has_warnings(&self) -> bool {
        match &self.outcome {
            LineOutcome::Translated(t) => !t.warnings.is_empty(),
            LineOutcome::Rejected { errors, .. } => errors.iter().any(|e| !e.is_error()),
            LineOutcome::Invalid(_) => false,
        }
    }
}

impl Serialize for LineResult<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.outcome {
            LineOutcome::Translated(t) => {
                #[derive(Serialize)]
                struct Ok<'r> {
                    line: u64,
                    id: Option<&'r RawValue>,
                    #[serde(flatten)]
                    translation: &'r Translation,
                }
                Ok {
                    line: self.line,
                    id: self.id,
                    translation: t,
                }
                .serialize(s)
            }
            LineOutcome::Rejected { target, errors } => {
                let mut m = s.serialize_map(Some(4))?;
                m.serialize_entry("line", &self.line)?;
                m.serialize_entry("id", &self.id)?;
                m.serialize_entry("target", target)?;
                m.serialize_entry("errors", errors)?;
                m.end()
            }
            LineOutcome::Invalid(msg) => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("line", &self.line)?;
                m.serialize_entry("id", &self.id)?;
                m.serialize_entry("error", msg)?;
                m.end()
            }
        }
    }
}

/// A request line as written; each value is decoded afterwards, so that the
/// `id` is known even when another field is wrong.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    query: Option<&'a RawValue>,
    #[serde(borrow, default)]
    target: Option<&'a RawValue>,
    #[serde(borrow, default)]
    lang: Option<&'a RawValue>,
    #[serde(borrow, default)]
    extended: Option<&'a RawValue>,
}

/// Only the `id` of a line that is not a valid request.
#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
}

/// Translates one batch line. `lang` and `options.extended` are the defaults
/// of the line's `lang` and `extended`; the other options apply as they are.
///
/// Returns `None` for a blank line (only whitespace), which a batch skips.
/// `number` is the line's number, echoed as `line`.
pub fn translate_line<'a>(
    line: &'a str,
    number: u64,
    lang: Lang,
    options: &Options,
) -> Option<LineResult<'a>> {
    let text = line.trim_matches([' ', '\t', '\r', '\n']);
    if text.is_empty() {
        return None;
    }
    let invalid = |id, msg: String| LineResult {
        line: number,
        id,
        outcome: LineOutcome::Invalid(msg),
    };
    let req: Request<'a> = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let id = serde_json::from_str::<IdOnly<'a>>(text)
                .ok()
                .and_then(|i| i.id);
            return Some(invalid(id, format!("not a valid request: {e}")));
        }
    };
    let id = req.id;
    let result = (|| -> Result<LineResult<'a>, String> {
        let query = string(req.query, "query")?;
        let target: Target = string(req.target, "target")?.parse()?;
        let lang = match req.lang {
            None => lang,
            Some(v) => string(Some(v), "lang")?.parse()?,
        };
        let extended = match req.extended {
            None => options.extended,
            Some(v) => decode::<bool>(v, "extended", "true or false")?,
        };
        let changed;
        let options = if extended == options.extended {
            options
        } else {
            changed = options.clone().extended(extended);
            &changed
        };
        let outcome = match crate::translate(&query, lang, target, options) {
            Ok(t) => LineOutcome::Translated(t),
            Err(errors) => LineOutcome::Rejected { target, errors },
        };
        Ok(LineResult {
            line: number,
            id,
            outcome,
        })
    })();
    Some(result.unwrap_or_else(|msg| invalid(id, msg)))
}

/// A required string field, borrowed from the line unless it has escapes.
fn string<'a>(v: Option<&'a RawValue>, name: &str) -> Result<Cow<'a, str>, String> {
    let Some(v) = v else {
        return Err(format!("missing field `{name}`"));
    };
    match serde_json::from_str::<&'a str>(v.get()) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(_) => decode::<String>(v, name, "a string").map(Cow::Owned),
    }
}

/// A field's value, which must be `what`.
fn decode<'a, T: Deserialize<'a>>(v: &'a RawValue, name: &str, what: &str) -> Result<T, String> {
    serde_json::from_str(v.get()).map_err(|_| format!("field `{name}` must be {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> String {
        translate_line(s, 3, Lang::Kql, &Options::default())
            .map(|r| serde_json::to_string(&r).unwrap())
            .unwrap_or_default()
    }

    #[test]
    fn blank_lines_are_skipped() {
        assert!(translate_line(" \t\r", 1, Lang::Kql, &Options::default()).is_none());
    }

    #[test]
    fn translated_rejected_and_invalid_lines() {
        assert_eq!(
            line(r#"{"query":"SELECT Id FROM Account","target":"salesforce","id":[1, 2]}"#),
            r#"{"line":3,"id":[1, 2],"target":"salesforce","soql":"SELECT Id FROM Account","warnings":[]}"#
        );
        let r =
            line(r#"{"query":"SELECT a FROM X WHERE NOT (a = 1)","target":"sugarcrm","id":1e400}"#);
        assert!(
            r.starts_with(r#"{"line":3,"id":1e400,"target":"sugarcrm","errors":[{"code":"S018""#),
            "{r}"
        );
        let ext = line(
            r#"{"query":"SELECT a FROM X WHERE NOT (a = 1)","target":"sugarcrm","extended":true}"#,
        );
        assert!(ext.contains(r#""body":{"filter""#), "{ext}");
        for (input, msg) in [
            (
                r#"{"query":"SELECT a FROM b","id":"x"}"#,
                "missing field `target`",
            ),
            (
                r#"{"target":"salesforce","id":"x"}"#,
                "missing field `query`",
            ),
            (
                r#"{"query":"SELECT a FROM b","target":"oracle","id":"x"}"#,
                "unknown target `oracle`",
            ),
            (
                r#"{"query":"SELECT a FROM b","target":"dynamics","lang":"sql","id":"x"}"#,
                "unknown language `sql`",
            ),
            (
                r#"{"query":1,"target":"dynamics","id":"x"}"#,
                "field `query` must be a string",
            ),
            (
                r#"{"query":"SELECT a FROM b","target":"dynamics","extended":"yes","id":"x"}"#,
                "field `extended` must be true or false",
            ),
            (
                r#"{"query":"SELECT a FROM b","target":"dynamics","extnded":true,"id":"x"}"#,
                "unknown field `extnded`",
            ),
        ] {
            let r = line(input);
            assert!(r.starts_with(r#"{"line":3,"id":"x","error":""#), "{r}");
            assert!(r.contains(msg), "{r} should say {msg}");
        }
        let r = line("{not json");
        assert!(
            r.starts_with(r#"{"line":3,"id":null,"error":"not a valid request: "#),
            "{r}"
        );
    }

    #[test]
    fn lang_and_extended_defaults_apply() {
        let q =
            r#"{"query":"SELECT * FROM account WHERE statecode IN (0, 1)","target":"dynamics"}"#;
        let r = translate_line(q, 1, Lang::Dql, &Options::default()).unwrap();
        assert!(matches!(r.outcome, LineOutcome::Rejected { .. }));
        let r = translate_line(q, 1, Lang::Dql, &Options::default().extended(true)).unwrap();
        assert!(matches!(r.outcome, LineOutcome::Translated(_)));
        let r = translate_line(q, 1, Lang::Kql, &Options::default()).unwrap();
        assert!(matches!(r.outcome, LineOutcome::Translated(_)));
    }
}
