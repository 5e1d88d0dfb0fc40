//! The `kql` command-line tool: a thin shell over the library.
//!
//! Results go to stdout, diagnostics to stderr. Exit codes: 0 accepted,
//! 1 rejected (the query has errors), 2 usage or I/O error.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use kql::{Errors, Lang, Options, Target};

#[derive(Parser)]
#[command(
    name = "kql",
    version,
    about = "Compile KQL and DQL queries into SOQL, Dynamics OData and SugarCRM filter requests"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse a query and print its syntax tree as JSON.
    Parse {
        #[command(flatten)]
        common: Common,
    },
    /// Check a query against the documented subset of its language (and target).
    Check {
        #[command(flatten)]
        common: Common,
        /// Check for this target too.
        #[arg(long, value_enum)]
        target: Option<TargetArg>,
        /// Accept the extensions listed in grammar/subset.md.
        #[arg(long)]
        extended: bool,
        /// `text` prints a one-line verdict, `json` the validated query.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Translate a query into the native request of one target, or of all.
    Translate {
        #[command(flatten)]
        common: Common,
        /// The target CRM, or `all` for every target of the language.
        #[arg(long, value_enum)]
        target: TranslateTarget,
        /// Accept the extensions listed in grammar/subset.md.
        #[arg(long)]
        extended: bool,
        /// `text`: the SOQL statement, the decoded OData `entity_set?query`, or the
        /// SugarCRM body JSON. `json`: the full request object (see README).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Dynamics: the entity set to query (overrides the built-in map).
        #[arg(long)]
        entity_set: Option<String>,
        /// Dynamics: the primary key used for stable paging (overrides the built-in map).
        #[arg(long)]
        primary_key: Option<String>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TranslateTarget {
    Salesforce,
    Dynamics,
    Sugarcrm,
    All,
}

#[derive(clap::Args)]
struct Common {
    /// The query language.
    #[arg(long, value_enum, default_value_t = LangArg::Kql)]
    lang: LangArg,
    /// How diagnostics are written to stderr.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
    /// The query; read from stdin when absent or `-`.
    query: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    Kql,
    Dql,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Kql => Lang::Kql,
            LangArg::Dql => Lang::Dql,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum TargetArg {
    Salesforce,
    Dynamics,
    Sugarcrm,
}

impl From<TargetArg> for Target {
    fn from(t: TargetArg) -> Target {
        match t {
            TargetArg::Salesforce => Target::Salesforce,
            TargetArg::Dynamics => Target::Dynamics,
            TargetArg::Sugarcrm => Target::Sugarcrm,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ErrorFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// A usage or I/O failure (exit 2).
struct Fatal(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            let _ = writeln!(std::io::stderr(), "kql: error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn read_query(q: Option<String>) -> Result<String, Fatal> {
    match q.as_deref() {
        Some(q) if q != "-" => Ok(q.to_string()),
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| Fatal(format!("cannot read stdin: {e}")))?;
            String::from_utf8(buf).map_err(|e| {
                Fatal(format!(
                    "the query is not valid UTF-8 (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ))
            })
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Fatal> {
    match cli.command {
        Command::Parse { common } => {
            let src = read_query(common.query)?;
            let lang = common.lang.into();
            match kql::parse(&src, lang, &Options::default()) {
                Ok(ast) => {
                    let json =
                        serde_json::to_string_pretty(&ast).map_err(|e| Fatal(e.to_string()))?;
                    print_out(&json)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(errs) => {
                    report(&errs, &src, common.error_format)?;
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Check {
            common,
            target,
            extended,
            format,
        } => {
            let src = read_query(common.query)?;
            let lang: Lang = common.lang.into();
            let options = Options::default().extended(extended);
            match kql::check(&src, lang, target.map(Target::from), &options) {
                Ok(ir) => {
                    if !ir.warnings.is_empty() {
                        report(&Errors(ir.warnings.clone()), &src, common.error_format)?;
                    }
                    match format {
                        Format::Json => {
                            let json = serde_json::to_string_pretty(&ir)
                                .map_err(|e| Fatal(e.to_string()))?;
                            print_out(&json)?;
                        }
                        Format::Text => {
                            let on = target
                                .map(|t| format!(" for {}", Target::from(t)))
                                .unwrap_or_default();
                            let mode = if extended { "extended" } else { "documented" };
                            print_out(&format!(
                                "ok: {lang} query on `{}` accepted{on} ({mode} subset)",
                                ir.object.name
                            ))?;
                        }
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(errs) => {
                    report(&errs, &src, common.error_format)?;
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Translate {
            common,
            target,
            extended,
            format,
            entity_set,
            primary_key,
        } => translate(common, target, extended, format, entity_set, primary_key),
    }
}

fn translate(
    common: Common,
    target: TranslateTarget,
    extended: bool,
    format: Format,
    entity_set: Option<String>,
    primary_key: Option<String>,
) -> Result<ExitCode, Fatal> {
    let src = read_query(common.query)?;
    let lang: Lang = common.lang.into();
    let mut options = Options::default().extended(extended);
    options.entity_set = entity_set;
    options.primary_key = primary_key;
    let single = match target {
        TranslateTarget::Salesforce => Some(Target::Salesforce),
        TranslateTarget::Dynamics => Some(Target::Dynamics),
        TranslateTarget::Sugarcrm => Some(Target::Sugarcrm),
        TranslateTarget::All => None,
    };
    if let Some(t) = single {
        return match kql::translate(&src, lang, t, &options) {
            Ok(tr) => {
                if !tr.warnings.is_empty() {
                    report(&Errors(tr.warnings.clone()), &src, common.error_format)?;
                }
                match format {
                    Format::Text => print_out(&tr.request.to_string())?,
                    Format::Json => print_out(&to_json(&tr)?)?,
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(errs) => {
                report(&errs, &src, common.error_format)?;
                Ok(ExitCode::from(1))
            }
        };
    }
    // Every target of the language: one JSON object keyed by target, or one
    // `target: text` line per target. The JSON is serialised directly (never
    // through `serde_json::Value`, which would turn exact decimals into floats).
    let mut all_ok = true;
    let mut json: Vec<(&'static str, Outcome)> = Vec::new();
    for &t in lang.targets() {
        let result = kql::translate(&src, lang, t, &options);
        all_ok &= result.is_ok();
        match format {
            Format::Json => json.push((t.name(), Outcome(result))),
            Format::Text => match result {
                Ok(tr) => {
                    if !tr.warnings.is_empty() {
                        eprint_heading(t)?;
                        report(&Errors(tr.warnings.clone()), &src, common.error_format)?;
                    }
                    print_out(&format!("{t}: {}", tr.request))?;
                }
                Err(errs) => {
                    eprint_heading(t)?;
                    report(&errs, &src, common.error_format)?;
                    print_out(&format!("{t}: rejected"))?;
                }
            },
        }
    }
    if format == Format::Json {
        print_out(&to_json(&ByTarget(json))?)?;
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One target's result in `--target all --format json`: the translation, or `{"errors": […]}`.
struct Outcome(Result<kql::Translation, Errors>);

impl serde::Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match &self.0 {
            Ok(t) => t.serialize(s),
            Err(errs) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("errors", &errs.0)?;
                m.end()
            }
        }
    }
}

/// `{"salesforce": …, "dynamics": …, "sugarcrm": …}` in target order.
struct ByTarget(Vec<(&'static str, Outcome)>);

impl serde::Serialize for ByTarget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Fatal> {
    serde_json::to_string_pretty(v).map_err(|e| Fatal(e.to_string()))
}

fn eprint_heading(t: Target) -> Result<(), Fatal> {
    writeln!(std::io::stderr(), "{t}:").map_err(|e| Fatal(format!("cannot write stderr: {e}")))
}

fn print_out(s: &str) -> Result<(), Fatal> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{s}").map_err(|e| Fatal(format!("cannot write stdout: {e}")))
}

/// Writes diagnostics to stderr: rendered text (coloured on a terminal unless
/// `NO_COLOR` is set) or the JSON form.
fn report(errs: &Errors, src: &str, format: ErrorFormat) -> Result<(), Fatal> {
    let mut err = std::io::stderr().lock();
    let text = match format {
        ErrorFormat::Json => errs.to_json().to_string(),
        ErrorFormat::Human => {
            let plain = errs.render(src);
            let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal();
            if color {
                colorize(&plain)
            } else {
                plain
            }
        }
    };
    let text = text.trim_end();
    writeln!(err, "{text}").map_err(|e| Fatal(format!("cannot write stderr: {e}")))
}

/// Bold red `error[…]`, bold yellow `warning[…]`, blue gutters.
fn colorize(plain: &str) -> String {
    let mut out = String::with_capacity(plain.len() + 64);
    for line in plain.lines() {
        if let Some(rest) = line.strip_prefix("error") {
            out.push_str(&format!("\x1b[1;31merror\x1b[0m{rest}"));
        } else if let Some(rest) = line.strip_prefix("warning") {
            out.push_str(&format!("\x1b[1;33mwarning\x1b[0m{rest}"));
        } else if line.trim_start().starts_with(['|', '=', '-']) || line.contains(" | ") {
            out.push_str(&format!("\x1b[34m{line}\x1b[0m"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}
