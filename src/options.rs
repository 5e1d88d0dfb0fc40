//! What a compilation is for and under which limits: the source [`Lang`],
//! the [`Target`] CRM, and the [`Options`] (with their [`Limits`]), all plain
//! data that serialises, so that the CLI, bindings and a server pass them as
//! they are.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::backend;

/// The query language of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Kloudless Query Language: a SQL-92 subset for every CRM.
    Kql,
    /// Dynamics Query Language: the Dynamics-only dialect.
    Dql,
}

impl Lang {
    /// Both languages.
    pub const ALL: [Lang; 2] = [Lang::Kql, Lang::Dql];

    /// `"kql"` or `"dql"`.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Kql => "kql",
            Lang::Dql => "dql",
        }
    }

    /// The targets this language compiles to.
    pub fn targets(self) -> &'static [Target] {
        match self {
            Lang::Kql => &Target::ALL,
            Lang::Dql => &[Target::Dynamics],
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "kql" => Ok(Lang::Kql),
            "dql" => Ok(Lang::Dql),
            _ => Err(format!("unknown language `{s}` (expected kql or dql)")),
        }
    }
}

/// The CRM a query is compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Salesforce: SOQL.
    Salesforce,
    /// Microsoft Dynamics 365 / Dataverse: OData 4.0 Web API.
    Dynamics,
    /// SugarCRM: REST filter API.
    Sugarcrm,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 3] = [Target::Salesforce, Target::Dynamics, Target::Sugarcrm];

    /// The service identifier: `"salesforce"`, `"dynamics"`, `"sugarcrm"`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Salesforce => "salesforce",
            Target::Dynamics => "dynamics",
            Target::Sugarcrm => "sugarcrm",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "salesforce" => Ok(Target::Salesforce),
            "dynamics" => Ok(Target::Dynamics),
            "sugarcrm" => Ok(Target::Sugarcrm),
            _ => Err(format!(
                "unknown target `{s}` (expected salesforce, dynamics or sugarcrm)"
            )),
        }
    }
}

/// Which names a query is written with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Names {
    /// Each CRM's own object and field names, passed through as written (the default).
    #[default]
    Raw,
    /// The specification's unified object types and fields (`account`,
    /// `name`, `created`, …), mapped to the target's raw names before
    /// validation (see [`crate::unified`]).
    Unified,
}

impl Names {
    /// `"raw"` or `"unified"`.
    pub fn name(self) -> &'static str {
        match self {
            Names::Raw => "raw",
            Names::Unified => "unified",
        }
    }
}

impl fmt::Display for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Names {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "raw" => Ok(Names::Raw),
            "unified" => Ok(Names::Unified),
            _ => Err(format!(
                "unknown names mode `{s}` (expected raw or unified)"
            )),
        }
    }
}

/// Resource limits. Each violation is an `L…` error that names the limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Longest query text, in bytes (default 100,000: SOQL's statement limit).
    pub max_input_bytes: usize,
    /// Deepest nesting of parentheses, `NOT`s, unary minus and operator
    /// chains (default 64). Parsing stops with `L001` instead of recursing further.
    pub max_depth: usize,
    /// Most predicates (comparisons, `LIKE`, `IN`, `IS NULL`) in `WHERE` (default 1,000).
    pub max_predicates: usize,
    /// Most values in one `IN` list (default 10,000).
    pub max_in_list: usize,
    /// Longest string literal, in bytes (default 100,000).
    pub max_string_bytes: usize,
    /// Salesforce: longest string literal after escaping, in UTF-16 units
    /// (default 4,000, SOQL's limit; `B005`).
    pub soql_max_string_chars: usize,
    /// Salesforce: longest statement, in UTF-16 units (default 100,000; `B006`).
    pub soql_max_statement_chars: usize,
    /// Salesforce: largest `OFFSET` (default 2,000; `B003`).
    pub soql_max_offset: u64,
    /// Dynamics: longest request URL (default 32,768, Dataverse's GET limit; `B026`).
    pub dynamics_max_url_chars: usize,
    /// Dynamics: most conditions in `$filter` (default 500; `B024`).
    pub dynamics_max_conditions: usize,
    /// Dynamics: most navigation properties in `$expand` (default 15; `B025`).
    pub dynamics_max_expands: usize,
    /// SugarCRM: most nested `$and`/`$or` groups (default 13, what PHP's JSON
    /// depth limit of 32 leaves for the filter; `B045`).
    pub sugar_max_groups: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 100_000,
            max_depth: 64,
            max_predicates: 1_000,
            max_in_list: 10_000,
            max_string_bytes: 100_000,
            ..Limits::TARGETS
        }
    }
}

impl Limits {
    /// The targets' documented limits, with no front-end limit.
    const TARGETS: Limits = Limits {
        max_input_bytes: usize::MAX,
        max_depth: 64,
        max_predicates: usize::MAX,
        max_in_list: usize::MAX,
        max_string_bytes: usize::MAX,
        soql_max_string_chars: backend::soql::MAX_STRING_CHARS,
        soql_max_statement_chars: backend::soql::MAX_STATEMENT_CHARS,
        soql_max_offset: backend::soql::MAX_OFFSET,
        dynamics_max_url_chars: backend::odata::MAX_URL_LEN,
        dynamics_max_conditions: backend::odata::MAX_CONDITIONS,
        dynamics_max_expands: backend::odata::MAX_EXPANDS,
        sugar_max_groups: backend::sugar::MAX_GROUP_DEPTH,
    };

    /// No front-end limit (for trusted input and benchmarks). The depth limit
    /// stays finite so the parser still cannot overflow the stack, and the
    /// targets' own limits stay: a request over them would fail at the CRM.
    pub fn unlimited() -> Self {
        Limits::TARGETS
    }
}

/// Options of a compilation. The query text is untrusted; options are trusted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Options {
    /// Accept more than the documented subset, where the meaning is
    /// unambiguous and the target can express it exactly (see `grammar/subset.md`).
    pub extended: bool,
    /// Resource limits.
    pub limits: Limits,
    /// Dynamics: the entity set to query, overriding the built-in map from
    /// the `FROM` name (e.g. `Some("usersettingscollection")`).
    pub entity_set: Option<String>,
    /// Dynamics: the primary key appended to `$orderby` for stable paging,
    /// overriding the built-in map (e.g. `Some("systemuserid")`).
    pub primary_key: Option<String>,
    /// Raw names (the default) or unified names (`--names unified`).
    pub names: Names,
    /// Custom mappings merged into the unified names (with
    /// [`Names::Unified`]; `--transforms FILE`), each applied to the target
    /// being compiled: see [`crate::unified::parse_transforms`].
    pub transforms: Vec<crate::unified::Transform>,
    /// The objects and fields of the target CRM (`--schema FILE`): with a
    /// target, the query is checked against it and its fields typed (after
    /// unified names are mapped): see [`crate::schema`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<crate::schema::Schema>,
}

impl Options {
    /// Documented-subset mode with default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets extended mode.
    pub fn extended(mut self, on: bool) -> Self {
        self.extended = on;
        self
    }
}
