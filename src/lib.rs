//! # kql
//!
//! A compiler from the two query languages of the unified CRM search API —
//! **KQL** (a SQL-92 subset for every CRM) and **DQL** (the Dynamics dialect) —
//! into each CRM's native query.
//!
//! ```text
//!  &str ──parse──▶ ast::Query ──validate──▶ ir::Query ──backend──▶ SOQL | OData | SugarCRM
//!        (one pass,            (documented subset for       (one buffer per
//!         spans, canonical      language × target × mode,     request, every
//!         Display)              typed literals, all errors)   literal escaped)
//! ```
//!
//! One public function per arrow: [`parse`], [`validate`], [`lower`]
//! (and [`unified::resolve`], which maps unified names between the first
//! two when [`Options::names`] is [`Names::Unified`]);
//! [`check`] chains the first two and [`translate`] all three. Every rejection is an [`Error`] with a stable [`Code`], a byte
//! [`Span`], a one-line message and often a help line. The library never
//! prints and never panics on any input.
//!
//! ```
//! use kql::{check, Lang, Options, Target};
//!
//! let q = check("SELECT Id, Name FROM Account WHERE Name LIKE 'Acme%'",
//!               Lang::Kql, Some(Target::Salesforce), &Options::default()).unwrap();
//! assert_eq!(q.object.name, "Account");
//!
//! let err = check("select Id FROM Account", Lang::Kql, None, &Options::default()).unwrap_err();
//! assert_eq!(err.0[0].code.as_str(), "P004");
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo
    )
)]

pub mod ast;
pub mod backend;
pub mod batch;
mod capabilities;
pub mod error;
pub mod eval;
pub mod ir;
pub mod options;
#[cfg(feature = "fuzzing")]
pub mod oracle;
mod parser;
pub mod schema;
pub mod span;
pub mod unified;
pub mod unify;
mod validate;

pub use backend::{Request, Translation};
pub use error::{Code, Error, Errors, Severity};
pub use options::{Lang, Limits, Names, Options, Target};
pub use parser::KEYWORDS;
pub use span::Span;
pub use unify::{unify, UnifyOptions};

/// Parses query text into a syntax tree. The grammar is shared by KQL and
/// DQL; the languages differ in what [`validate`] accepts, so `lang` only
/// selects the limits' interpretation today and is kept for symmetry.
///
/// Fails with every keyword written in the wrong case (`P004`: the parser
/// reads it as the keyword and goes on, up to 50 of them) and the first other
/// syntax error (`P…`) or limit (`L001`, `L002`) after them, each located in
/// `src` ([`Error::line`], [`Error::column`]).
pub fn parse<'a>(src: &'a str, lang: Lang, options: &Options) -> Result<ast::Query<'a>, Errors> {
    parser::parse_query(src, lang, &options.limits).map_err(|mut errs| {
        errs.locate(src);
        errs
    })
}

/// The canonical text of a query (`kql fmt`): the syntax tree's `Display`,
/// with upper-case keywords and one space between tokens.
///
/// A keyword written in another case is read as that keyword, so this
/// repairs keyword case in one step; any other syntax error fails as in
/// [`parse`], with the `P004` of each keyword repaired before it.
///
/// ```
/// use kql::{format, Lang, Options};
/// let text = format("select Id from Account where Name like 'A%' order by Name",
///                   Lang::Kql, &Options::default()).unwrap();
/// assert_eq!(text, "SELECT Id FROM Account WHERE Name LIKE 'A%' ORDER BY Name");
/// ```
pub fn format(src: &str, lang: Lang, options: &Options) -> Result<String, Errors> {
    match parser::parse_repairing(src, lang, &options.limits) {
        (Ok(q), _) => Ok(q.to_string()),
        (Err(e), mut repaired) => {
            repaired.push(e);
            let mut errs = Errors(repaired);
            errs.locate(src);
            Err(errs)
        }
    }
}

/// Checks a syntax tree against the documented subset of `lang` (and of
/// `target`, when given) and lowers it to the typed [`ir::Query`].
///
/// Reports every problem, not just the first. Warnings of an accepted query
/// are in [`ir::Query::warnings`].
pub fn validate<'a>(
    ast: &ast::Query<'a>,
    lang: Lang,
    target: Option<Target>,
    options: &Options,
) -> Result<ir::Query<'a>, Errors> {
    validate::validate(ast, lang, target, options)
}

/// [`parse`] then [`validate`] (with [`Names::Unified`], the names are
/// mapped by [`unified::resolve`] between them; with [`Options::schema`] and
/// a target, [`schema::apply`] checks the result); every diagnostic, warnings included, is
/// located in `src` ([`Error::line`], [`Error::column`]).
pub fn check<'a>(
    src: &'a str,
    lang: Lang,
    target: Option<Target>,
    options: &Options,
) -> Result<ir::Query<'a>, Errors> {
    match checked(src, lang, target, options) {
        Ok((mut ir, _)) => {
            error::locate(src, &mut ir.warnings);
            Ok(ir)
        }
        Err(mut errs) => {
            errs.locate(src);
            Err(errs)
        }
    }
}

/// The pipeline of [`check`], with the schema object the query named (its
/// diagnostics not located yet). The tree is dropped before it returns: the
/// IR borrows the text, not the tree.
fn checked<'a, 'o>(
    src: &'a str,
    lang: Lang,
    target: Option<Target>,
    options: &'o Options,
) -> Result<(ir::Query<'a>, Option<&'o schema::SchemaObject>), Errors> {
    let ast = parse(src, lang, options)?;
    let validated = match options.names {
        Names::Raw => validate(&ast, lang, target, options),
        Names::Unified => unified::resolve_then_with(ast, target, &options.transforms, |ast| {
            validate(ast, lang, target, options)
        }),
    };
    match (validated, &options.schema, target) {
        (Ok(ir), Some(schema), Some(target)) => {
            with_schema(ir, target, schema).map(|(ir, o)| (ir, Some(o)))
        }
        (validated, _, _) => validated.map(|ir| (ir, None)),
    }
}

/// Lowers a validated query to `target`'s native request (see [`backend`]).
pub fn lower(q: &ir::Query<'_>, target: Target, options: &Options) -> Result<Translation, Errors> {
    let (request, mut warnings) = backend::lower(q, target, options)?;
    let all = if q.warnings.is_empty() {
        warnings
    } else {
        let mut all = q.warnings.clone();
        all.append(&mut warnings);
        all
    };
    Ok(Translation {
        target,
        request,
        warnings: all,
    })
}

/// The whole pipeline: [`parse`] → ([`unified::resolve`] with
/// [`Names::Unified`]) → [`validate`] (for `target`) → ([`schema::apply`]
/// with [`Options::schema`], whose entity set and primary key the Dynamics
/// backend takes unless the options set them) → [`lower`];
/// every diagnostic, warnings included, is located in `src`.
///
/// ```
/// use kql::{translate, Lang, Options, Target};
/// let t = translate("SELECT Id FROM Account WHERE Name = 'O''Brien'",
///                   Lang::Kql, Target::Salesforce, &Options::default()).unwrap();
/// assert_eq!(t.request.to_string(), "SELECT Id FROM Account WHERE Name = 'O\\'Brien'");
/// ```
pub fn translate(
    src: &str,
    lang: Lang,
    target: Target,
    options: &Options,
) -> Result<Translation, Errors> {
    let (ir, object) = checked(src, lang, Some(target), options).map_err(|mut errs| {
        errs.locate(src);
        errs
    })?;
    // the schema's entity set and primary key, unless the options set them
    // (the backends read neither the names, the Transforms nor the schema,
    // so those are not copied)
    let schema_options;
    let options = match object {
        Some(o)
            if target == Target::Dynamics
                && (o.entity_set.is_some() || o.primary_key.is_some()) =>
        {
            schema_options = Options {
                extended: options.extended,
                limits: options.limits.clone(),
                entity_set: options.entity_set.clone().or_else(|| o.entity_set.clone()),
                primary_key: options
                    .primary_key
                    .clone()
                    .or_else(|| o.primary_key.clone()),
                names: options.names,
                transforms: Vec::new(),
                schema: None,
            };
            &schema_options
        }
        _ => options,
    };
    match lower(&ir, target, options) {
        Ok(mut t) => {
            error::locate(src, &mut t.warnings);
            Ok(t)
        }
        Err(mut errs) => {
            errs.0.extend(ir.warnings.iter().cloned());
            errs.locate(src);
            Err(errs)
        }
    }
}

/// [`schema::apply`] on a validated query; an error keeps its warnings.
fn with_schema<'a, 's>(
    mut ir: ir::Query<'a>,
    target: Target,
    schema: &'s schema::Schema,
) -> Result<(ir::Query<'a>, &'s schema::SchemaObject), Errors> {
    match schema::apply(&mut ir, target, schema) {
        Ok(object) => Ok((ir, object)),
        Err(mut errs) => {
            errs.0.extend(ir.warnings);
            Err(errs)
        }
    }
}

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
