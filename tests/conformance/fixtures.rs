//! Deterministic fixtures: one object per target, generated from a seed at test
//! time (no checked-in data), with the columns the query generator draws from.
//!
//! Design around the oracles' deviations (see README.md in this directory):
//!
//! * every string is **case-consistent**: no upper-case letter anywhere (ASCII or
//!   not), so open-soql's case-sensitive `=`, SQLite's ASCII-only NOCASE, odatapy's
//!   case-sensitive comparisons and kql::eval's case-insensitive default all agree;
//! * no character in U+E000–U+FFFF, so UTF-16 order (JavaScript) equals code-point
//!   order (Rust, SQLite);
//! * numbers have at most 15 significant digits, so an oracle's IEEE double
//!   compares exactly like kql::eval's decimals;
//! * the Salesforce object has a datetime column in one uniform UTC format
//!   (`CreatedDate`, sortable: open-soql sorts datetime strings as text) and one
//!   with mixed offsets (`LastActivityAt__c`, filtered, never sorted);
//! * SugarCRM datetimes are whole seconds (the DB's `Y-m-d H:i:s`);
//! * on the Salesforce object only `Description` holds newlines (open-soql's
//!   LIKE `%` does not match one; the generator never LIKEs `Description`).
//!
//! Rows are sorted by the key, so "ties in fixture order" (what every engine
//! does) is "ties by key" — the tie-break the dynamics backend appends.

use serde_json::{json, Map, Value};

use crate::sugar::ColType;

/// The deterministic PRNG of the fixtures and the generator (SplitMix64).
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// `true` with probability `p` percent.
    pub fn chance(&mut self, p: u32) -> bool {
        self.below(100) < p as usize
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// The logical kind of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Key,
    Str,
    Int,
    Dec,
    Bool,
    Date,
    DateTime,
}

/// A fixture column.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    /// May be an ORDER BY key (see the module docs).
    pub sortable: bool,
}

/// One target's object.
pub struct Fixture {
    pub target: kql::Target,
    pub object: &'static str,
    pub columns: Vec<Column>,
    pub rows: Vec<Map<String, Value>>,
}

impl Fixture {
    pub fn key(&self) -> &'static str {
        self.columns[0].name
    }
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The fixture for the OData drivers: `{"table","columns","rows"}`.
    pub fn odata_json(&self, table: &str) -> Value {
        let cols: Map<String, Value> = self
            .columns
            .iter()
            .map(|c| {
                let t = match c.kind {
                    Kind::Key | Kind::Str => "string",
                    Kind::Int => "int",
                    Kind::Dec => "decimal",
                    Kind::Bool => "bool",
                    Kind::Date => "date",
                    Kind::DateTime => "datetime",
                };
                (c.name.to_string(), json!(t))
            })
            .collect();
        json!({"table": table, "columns": cols, "rows": self.rows})
    }

    /// The fixture for open-soql: `{"Account": [...]}` (every field present in
    /// every record, as open-soql requires).
    pub fn soql_json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                Value::Object(
                    self.columns
                        .iter()
                        .map(|c| {
                            (
                                c.name.to_string(),
                                r.get(c.name).cloned().unwrap_or(Value::Null),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        json!({ self.object: rows })
    }

    /// The table of the SugarCRM stand-in.
    pub fn sugar_table(&self) -> crate::sugar::Table {
        crate::sugar::Table {
            columns: self
                .columns
                .iter()
                .map(|c| {
                    let t = match c.kind {
                        Kind::Key => ColType::Id,
                        Kind::Str => ColType::Varchar,
                        Kind::Int => ColType::Int,
                        Kind::Dec => ColType::Currency,
                        Kind::Bool => ColType::Bool,
                        Kind::Date => ColType::Date,
                        Kind::DateTime => ColType::Datetime,
                    };
                    (c.name.to_string(), t)
                })
                .collect(),
            rows: self.rows.clone(),
        }
    }
}

/// Adversarial string pieces (all lower case; see the module docs).
pub const STRINGS: &[&str] = &[
    "acme",
    "acme corp",
    "o'brien",
    "o''brien",
    "it's",
    "back\\slash",
    "trail\\",
    "100%_off",
    "50% off",
    "under_score",
    "[bracket]",
    "a[b]c",
    // look-alikes of the bracketed values: an unescaped `[b]` is a T-SQL character class
    "abc",
    "bc",
    "x",
    "bracket",
    "k",
    "[%]",
    "[_]",
    "quote\"d",
    "ünïcödé",
    "café",
    "straße",
    "日本語",
    "emoji 🎉",
    "",
    " leading",
    "tab\there",
    "new\nline",
    "a&b#c+d",
    "$dollar",
    "x=1;y=2",
    "semi;colon",
    "comma,sep",
    "paren(s)",
    "slash/path?q",
    "at@sign",
    "tilde~caret^",
    "kloudless",
    "kloud",
    "jim's shop",
    "null",
    "true",
    "2024-01-15",
    "-5",
];

const INDUSTRIES: &[&str] = &[
    "tech",
    "media",
    "banking",
    "",
    "o'neil & co",
    "ünï",
    "back\\",
    "50%",
    "a_b",
    "[x]",
    "x",
    "ab",
];

fn datetime(rng: &mut Rng, offsets: bool, fraction: bool) -> String {
    let (y, mo) = (2022 + rng.below(4), 1 + rng.below(12));
    let d = 1 + rng.below(28);
    let (h, mi, s) = (rng.below(24), rng.below(60), rng.below(60));
    let frac = if fraction && rng.chance(30) {
        format!(".{:03}", rng.below(1000))
    } else {
        String::new()
    };
    let zone = if offsets {
        rng.pick(&[
            "Z", "+00:00", "+05:30", "-08:00", "+14:00", "-12:00", "+01:00",
        ])
        .to_string()
    } else {
        "Z".to_string()
    };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{zone}")
}

fn date(rng: &mut Rng) -> String {
    let (y, mo) = (2020 + rng.below(6), 1 + rng.below(12));
    let d = 1 + rng.below(if mo == 2 { 28 } else { 30 });
    format!("{y:04}-{mo:02}-{d:02}")
}

fn decimal(rng: &mut Rng) -> Value {
    let whole = rng.below(2_000_000) as i64 - 1_000_000;
    let cents = rng.below(100);
    let text = if rng.chance(30) {
        format!("{whole}")
    } else {
        format!("{whole}.{cents:02}")
    };
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn string(rng: &mut Rng, i: usize) -> String {
    let a = *rng.pick(STRINGS);
    match rng.below(4) {
        0 => a.to_string(),
        1 => format!("{a} {}", rng.pick(STRINGS)),
        2 => format!("{a}{i}"),
        _ => format!("{} {a}", rng.pick(&["the", "jim", "kloud", "zed"])),
    }
}

pub const ROWS: usize = 240;

fn build(target: kql::Target, object: &'static str, columns: Vec<Column>, seed: u64) -> Fixture {
    let mut rng = Rng::new(seed);
    let mut rows = Vec::with_capacity(ROWS);
    for i in 0..ROWS {
        let mut row = Map::new();
        for c in &columns {
            if c.nullable && rng.chance(18) {
                if rng.chance(50) {
                    row.insert(c.name.into(), Value::Null);
                } // else: the field is absent (NULL as well)
                continue;
            }
            let v = match c.kind {
                Kind::Key => json!(match target {
                    kql::Target::Salesforce => format!("001a0000{i:05}xyzaa"),
                    kql::Target::Dynamics => format!("00000000-0000-4000-8000-{i:012}"),
                    kql::Target::Sugarcrm => format!("a0{i:04}-sugar"),
                }),
                Kind::Str
                    if c.name.to_ascii_lowercase().contains("industr")
                        || c.name.contains("city") =>
                {
                    json!(rng.pick(INDUSTRIES))
                }
                // open-soql's LIKE `%` does not match a newline: on salesforce only
                // Description holds newlines, and the generator never LIKEs it there
                Kind::Str if target == kql::Target::Salesforce && c.name != "Description" => {
                    json!(string(&mut rng, i).replace('\n', " "))
                }
                Kind::Str => json!(string(&mut rng, i)),
                Kind::Int => json!(rng.below(2001) as i64 - 1000),
                Kind::Dec => decimal(&mut rng),
                Kind::Bool => json!(rng.chance(50)),
                Kind::Date => json!(date(&mut rng)),
                Kind::DateTime => {
                    let uniform = c.name == "CreatedDate";
                    let fraction = target == kql::Target::Dynamics || c.name == "LastActivityAt__c";
                    let mut s = datetime(&mut rng, !uniform, fraction);
                    if uniform {
                        s = s.replace('Z', ".000Z");
                    }
                    json!(s)
                }
            };
            row.insert(c.name.into(), v);
        }
        rows.push(row);
    }
    // A few fixed rows that make ties and boundaries likely.
    for (i, row) in rows.iter_mut().enumerate().take(12) {
        for c in &columns {
            if c.kind == Kind::Int && i % 3 == 0 {
                row.insert(c.name.into(), json!(7));
            }
            if c.kind == Kind::Dec && i % 4 == 0 {
                row.insert(c.name.into(), json!(-12.5));
            }
        }
    }
    // Salesforce: open-soql reads the field list off the first record; make sure
    // it holds every column (soql_json fills absent fields with null anyway).
    Fixture {
        target,
        object,
        columns,
        rows,
    }
}

fn col(name: &'static str, kind: Kind, nullable: bool, sortable: bool) -> Column {
    Column {
        name,
        kind,
        nullable,
        sortable,
    }
}

pub fn salesforce() -> Fixture {
    build(
        kql::Target::Salesforce,
        "Account",
        vec![
            col("Id", Kind::Key, false, true),
            col("Name", Kind::Str, false, true),
            col("Industry", Kind::Str, true, true),
            col("Description", Kind::Str, true, true),
            col("NumberOfEmployees", Kind::Int, true, true),
            col("Score__c", Kind::Int, false, true),
            col("AnnualRevenue", Kind::Dec, true, true),
            // NULL too, although a real Salesforce boolean never is (the backend's
            // B007 says so): the null models are checked on every column type
            col("IsActive__c", Kind::Bool, true, false), // open-soql ignores booleans in ORDER BY
            col("LastActivityDate", Kind::Date, true, true),
            col("CreatedDate", Kind::DateTime, false, true),
            col("LastActivityAt__c", Kind::DateTime, true, false),
        ],
        0x5F_0001,
    )
}

pub fn dynamics() -> Fixture {
    build(
        kql::Target::Dynamics,
        "account",
        vec![
            col("accountid", Kind::Key, false, true),
            col("name", Kind::Str, false, true),
            col("address1_city", Kind::Str, true, true),
            col("description", Kind::Str, true, true),
            col("numberofemployees", Kind::Int, true, true),
            col("new_score", Kind::Int, false, true),
            col("revenue", Kind::Dec, true, true),
            col("donotemail", Kind::Bool, true, true),
            col("new_foundedon", Kind::Date, true, true),
            col("createdon", Kind::DateTime, true, true),
        ],
        0xD7_0002,
    )
}

pub fn sugarcrm() -> Fixture {
    build(
        kql::Target::Sugarcrm,
        "Accounts",
        vec![
            col("id", Kind::Key, false, true),
            col("name", Kind::Str, false, true),
            col("industry", Kind::Str, true, true),
            col("description", Kind::Str, true, true),
            col("employees", Kind::Int, true, true),
            col("score_c", Kind::Int, false, true),
            col("amount", Kind::Dec, true, true),
            col("do_not_call", Kind::Bool, true, true),
            col("date_closed", Kind::Date, true, true),
            col("date_entered", Kind::DateTime, true, true),
            col("date_modified", Kind::DateTime, false, true),
        ],
        0x5C_0003,
    )
}
