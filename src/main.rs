//! The `kql` command-line tool: a thin shell over the library.
//!
//! Results go to stdout, diagnostics to stderr. Exit codes: 0 accepted,
//! 1 rejected (the query has errors, or warnings under `--deny-warnings`),
//! 2 usage or I/O error.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use kql::batch::{LineOutcome, LineResult};
use kql::{Errors, Lang, Limits, Names, Options, Target};

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
        /// `raw`: each CRM's own names; `unified`: the unified object types
        /// and fields (`account`, `name`, `created`, …), mapped per target.
        #[arg(long, value_enum, default_value_t = NamesArg::Raw)]
        names: NamesArg,
        /// Custom mappings (Transform JSON: one Transform, an array, or the
        /// List Transforms response) merged into the unified names for the
        /// target; needs `--names unified`.
        #[arg(long, value_name = "FILE")]
        transforms: Option<PathBuf>,
        /// The target's objects and fields (Schema JSON: one Retrieve a Schema
        /// response, an array, or the List Schemas response): unknown names
        /// and mistyped literals are errors; needs `--target`.
        #[arg(long, value_name = "FILE", requires = "target")]
        schema: Option<PathBuf>,
        /// `text` prints a one-line verdict, `json` the validated query.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Exit 1 when any warning was raised (the output is still printed).
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Translate a query into the native request of one target, or of all.
    Translate {
        #[command(flatten)]
        common: Common,
        /// The target CRM, or `all` for every target of the language.
        #[arg(long, value_enum, required_unless_present = "batch")]
        target: Option<TranslateTarget>,
        /// Accept the extensions listed in grammar/subset.md (with `--batch`:
        /// the default of each line's `extended`).
        #[arg(long)]
        extended: bool,
        /// `raw`: each CRM's own names; `unified`: the unified object types
        /// and fields (`account`, `name`, `created`, …), mapped per target
        /// (with `--batch`: for every line).
        #[arg(long, value_enum, default_value_t = NamesArg::Raw)]
        names: NamesArg,
        /// Custom mappings (Transform JSON: one Transform, an array, or the
        /// List Transforms response) merged into the unified names for each
        /// target; needs `--names unified`.
        #[arg(long, value_name = "FILE")]
        transforms: Option<PathBuf>,
        /// The target's objects and fields (Schema JSON: one Retrieve a Schema
        /// response, an array, or the List Schemas response): unknown names
        /// and mistyped literals are errors, lookups and entity sets are
        /// taken from it (applied to each target compiled).
        #[arg(long, value_name = "FILE")]
        schema: Option<PathBuf>,
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
        /// Exit 1 when any warning was raised (the output is still printed).
        #[arg(long)]
        deny_warnings: bool,
        /// Read NDJSON requests `{"query", "target", "lang"?, "extended"?, "id"?}`
        /// from stdin (or `--file`) and write one JSON result per line (see README).
        #[arg(long, conflicts_with_all = ["target", "format", "query"])]
        batch: bool,
    },
    /// Print a query in canonical form (upper-case keywords, single spaces),
    /// reading a keyword written in another case as that keyword.
    Fmt {
        #[command(flatten)]
        common: Common,
    },
    /// Map raw records, as a CRM returns them, to unified objects (JSON in,
    /// `{"objects": [...]}` out).
    Unify {
        /// The CRM the records come from.
        #[arg(long, value_enum)]
        target: TargetArg,
        /// The unified object type of the records (`account`, `contact`,
        /// `lead`, `opportunity`, `campaign`, `task`).
        #[arg(long, value_name = "UNIFIED")]
        object: String,
        /// Leave out `raw` (the record as the CRM returned it).
        #[arg(long)]
        no_raw: bool,
        /// How diagnostics are written to stderr.
        #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
        error_format: ErrorFormat,
        /// Colour diagnostics: `auto` only when stderr is a terminal and `NO_COLOR`
        /// is unset; `always` even under `NO_COLOR`; `never`.
        #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
        color: ColorArg,
        /// Read the records from this file (`-`: stdin).
        #[arg(long, value_name = "PATH", conflicts_with = "input")]
        file: Option<PathBuf>,
        /// The records document (a file); read from stdin when absent or `-`.
        #[arg(value_name = "FILE")]
        input: Option<PathBuf>,
    },
    /// List the languages, the targets each compiles to, and the modes.
    Targets {
        /// `text`: a table; `json`: `{"languages", "targets", "modes", "pairs"}`.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print a shell completion script for `kql` to stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
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
    /// Colour diagnostics: `auto` only when stderr is a terminal and `NO_COLOR`
    /// is unset; `always` even under `NO_COLOR`; `never`.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// Read the query from this file (`-`: stdin).
    #[arg(long, value_name = "PATH", conflicts_with = "query")]
    file: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
    /// The query; read from stdin when absent or `-`.
    query: Option<String>,
}

/// The front-end limits (`kql::Limits`); each defaults to the library's.
#[derive(clap::Args)]
struct LimitArgs {
    /// Longest query text in bytes [default: 100000] (L002). Stdin and
    /// `--file` are read no further than this.
    #[arg(long, help_heading = "Limits", value_name = "BYTES")]
    max_input_bytes: Option<u64>,
    /// Deepest nesting of parentheses, NOT, unary minus and operator chains,
    /// 1 to 256 [default: 64] (L001).
    #[arg(long, help_heading = "Limits", value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    max_depth: Option<u64>,
    /// Most predicates in WHERE [default: 1000] (L003).
    #[arg(long, help_heading = "Limits", value_name = "N")]
    max_predicates: Option<u64>,
    /// Most values in one IN list [default: 10000] (L004).
    #[arg(long, help_heading = "Limits", value_name = "N")]
    max_in_list: Option<u64>,
    /// Longest string literal in bytes [default: 100000] (L005).
    #[arg(long, help_heading = "Limits", value_name = "BYTES")]
    max_string_bytes: Option<u64>,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        let n = |v: Option<u64>, default: usize| {
            v.map_or(default, |v| usize::try_from(v).unwrap_or(usize::MAX))
        };
        let d = Limits::default();
        Limits {
            max_input_bytes: n(self.max_input_bytes, d.max_input_bytes),
            max_depth: n(self.max_depth, d.max_depth),
            max_predicates: n(self.max_predicates, d.max_predicates),
            max_in_list: n(self.max_in_list, d.max_in_list),
            max_string_bytes: n(self.max_string_bytes, d.max_string_bytes),
            ..d
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum NamesArg {
    Raw,
    Unified,
}

impl From<NamesArg> for Names {
    fn from(n: NamesArg) -> Names {
        match n {
            NamesArg::Raw => Names::Raw,
            NamesArg::Unified => Names::Unified,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
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

/// How diagnostics are written: format, colour, and whether warnings fail.
#[derive(Clone, Copy)]
struct Diag {
    format: ErrorFormat,
    color: bool,
    deny_warnings: bool,
}

impl Diag {
    fn new(common: &Common, deny_warnings: bool) -> Self {
        Diag::of(common.error_format, common.color, deny_warnings)
    }

    fn of(format: ErrorFormat, color: ColorArg, deny_warnings: bool) -> Self {
        let color = match color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        };
        Diag {
            format,
            color,
            deny_warnings,
        }
    }

    /// The exit code of an accepted query: 1 when it warned and warnings are denied.
    fn accepted(self, warned: bool) -> ExitCode {
        if warned && self.deny_warnings {
            if self.format == ErrorFormat::Human {
                let _ = writeln!(
                    std::io::stderr(),
                    "kql: warnings are denied (--deny-warnings): exit 1"
                );
            }
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Where the input comes from: the `--file`, the argument, or stdin.
enum Input {
    Text(String),
    Stdin,
    File(PathBuf),
}

impl Input {
    fn of(common: &Common) -> Input {
        match (&common.file, common.query.as_deref()) {
            (Some(p), _) if p.as_os_str() != "-" => Input::File(p.clone()),
            (Some(_), _) | (None, None | Some("-")) => Input::Stdin,
            (None, Some(q)) => Input::Text(q.to_string()),
        }
    }

    /// A buffered reader of the stdin or the file (not of an argument).
    fn reader(self) -> Result<(Box<dyn BufRead>, String), Fatal> {
        match self {
            Input::File(p) => {
                let f = File::open(&p)
                    .map_err(|e| Fatal(format!("cannot read {}: {e}", p.display())))?;
                Ok((Box::new(BufReader::new(f)), p.display().to_string()))
            }
            Input::Stdin | Input::Text(_) => {
                Ok((Box::new(std::io::stdin().lock()), "stdin".to_string()))
            }
        }
    }
}

/// The schema of `--schema FILE`. A usage or I/O failure (exit 2): an
/// unreadable file or a malformed document (each `U020` in the message).
fn read_schema(path: Option<&PathBuf>) -> Result<Option<kql::schema::Schema>, Fatal> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Fatal(format!("cannot read {}: {e}", path.display())))?;
    kql::schema::parse_schema(&text)
        .map(Some)
        .map_err(|errs| malformed(path, "Schema", &errs))
}

/// The usage error (exit 2) for a malformed `what` document at `path`: each
/// diagnostic, with its code and help, on one line.
fn malformed(path: &Path, what: &str, errs: &Errors) -> Fatal {
    let lines: Vec<String> = errs
        .iter()
        .map(|e| match &e.help {
            Some(h) => format!("[{}] {} (help: {h})", e.code.as_str(), e.message),
            None => format!("[{}] {}", e.code.as_str(), e.message),
        })
        .collect();
    Fatal(format!(
        "{}: malformed {what} document: {}",
        path.display(),
        lines.join("; ")
    ))
}

/// The Transforms of `--transforms FILE`. A usage or I/O failure (exit 2):
/// the flag without `--names unified`, an unreadable file, or a malformed
/// document (each `U007` in the message).
fn read_transforms(
    path: Option<&PathBuf>,
    names: Names,
) -> Result<Vec<kql::unified::Transform>, Fatal> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    if names != Names::Unified {
        return Err(Fatal(
            "--transforms maps unified names: add --names unified".into(),
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Fatal(format!("cannot read {}: {e}", path.display())))?;
    kql::unified::parse_transforms(&text).map_err(|errs| malformed(path, "Transform", &errs))
}

/// The query text. Stdin and a file are read no further than a few bytes past
/// `max_bytes`, so an over-long input costs no more than the limit and is
/// reported by the library as `L002`.
fn read_query(common: &Common, max_bytes: usize) -> Result<String, Fatal> {
    let input = Input::of(common);
    if let Input::Text(q) = input {
        return Ok(q);
    }
    let (reader, name) = input.reader()?;
    // Up to 3 bytes more than `max + 1`, so that cutting a character split at
    // the end still leaves more than `max` bytes (over the limit: L002).
    let cap = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(4);
    let mut buf = Vec::new();
    reader
        .take(cap)
        .read_to_end(&mut buf)
        .map_err(|e| Fatal(format!("cannot read {name}: {e}")))?;
    // Only an input cut at `cap` can end in a split character; an input that
    // ends there by itself is not UTF-8.
    let cut = u64::try_from(buf.len()).is_ok_and(|n| n == cap);
    match String::from_utf8(buf) {
        Ok(s) => Ok(s),
        Err(e) => {
            let err = e.utf8_error();
            if cut && err.error_len().is_none() {
                // the cut split a character: drop its first bytes, which
                // leaves more than `max_bytes` bytes
                let mut bytes = e.into_bytes();
                bytes.truncate(err.valid_up_to());
                String::from_utf8(bytes).map_err(|_| Fatal("the query is not valid UTF-8".into()))
            } else {
                Err(Fatal(format!(
                    "the query is not valid UTF-8 (invalid byte at offset {})",
                    err.valid_up_to()
                )))
            }
        }
    }
}

fn options_of(common: &Common, extended: bool) -> Options {
    let mut o = Options::default().extended(extended);
    o.limits = common.limits.limits();
    o
}

/// [`options_of`] with the names mode, the `--transforms` and the `--schema`
/// of `check` and `translate`.
fn mapped_options(
    common: &Common,
    extended: bool,
    names: NamesArg,
    transforms: &Option<PathBuf>,
    schema: &Option<PathBuf>,
) -> Result<Options, Fatal> {
    let mut options = options_of(common, extended);
    options.names = names.into();
    options.transforms = read_transforms(transforms.as_ref(), options.names)?;
    options.schema = read_schema(schema.as_ref())?;
    Ok(options)
}

fn run(cli: Cli) -> Result<ExitCode, Fatal> {
    match cli.command {
        Command::Parse { common } => {
            let options = options_of(&common, false);
            let diag = Diag::new(&common, false);
            let src = read_query(&common, options.limits.max_input_bytes)?;
            let lang = common.lang.into();
            match kql::parse(&src, lang, &options) {
                Ok(ast) => {
                    let json =
                        serde_json::to_string_pretty(&ast).map_err(|e| Fatal(e.to_string()))?;
                    print_out(&json)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(errs) => {
                    report(&errs, &src, diag)?;
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Fmt { common } => {
            let options = options_of(&common, false);
            let diag = Diag::new(&common, false);
            let src = read_query(&common, options.limits.max_input_bytes)?;
            match kql::format(&src, common.lang.into(), &options) {
                Ok(text) => {
                    print_out(&text)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(errs) => {
                    report(&errs, &src, diag)?;
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Check {
            common,
            target,
            extended,
            names,
            transforms,
            schema,
            format,
            deny_warnings,
        } => {
            let options = mapped_options(&common, extended, names, &transforms, &schema)?;
            let diag = Diag::new(&common, deny_warnings);
            let src = read_query(&common, options.limits.max_input_bytes)?;
            let lang: Lang = common.lang.into();
            match kql::check(&src, lang, target.map(Target::from), &options) {
                Ok(ir) => {
                    if !ir.warnings.is_empty() {
                        report(&Errors(ir.warnings.clone()), &src, diag)?;
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
                    Ok(diag.accepted(!ir.warnings.is_empty()))
                }
                Err(errs) => {
                    report(&errs, &src, diag)?;
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Translate {
            common,
            target,
            extended,
            names,
            transforms,
            schema,
            format,
            entity_set,
            primary_key,
            deny_warnings,
            batch,
        } => {
            let mut options = mapped_options(&common, extended, names, &transforms, &schema)?;
            options.entity_set = entity_set;
            options.primary_key = primary_key;
            let diag = Diag::new(&common, deny_warnings);
            match target {
                Some(target) if !batch => translate(&common, target, format, &options, diag),
                _ => translate_batch(&common, &options, diag),
            }
        }
        Command::Unify {
            target,
            object,
            no_raw,
            error_format,
            color,
            file,
            input,
        } => {
            let diag = Diag::of(error_format, color, false);
            let path = file.or(input).filter(|p| p.as_os_str() != "-");
            unify(target.into(), &object, !no_raw, path, diag)
        }
        Command::Targets { format } => targets(format),
        Command::Completions { shell } => {
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "kql", &mut out);
            out.flush()
                .map_err(|e| Fatal(format!("cannot write stdout: {e}")))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn translate(
    common: &Common,
    target: TranslateTarget,
    format: Format,
    options: &Options,
    diag: Diag,
) -> Result<ExitCode, Fatal> {
    let src = read_query(common, options.limits.max_input_bytes)?;
    let lang: Lang = common.lang.into();
    let single = match target {
        TranslateTarget::Salesforce => Some(Target::Salesforce),
        TranslateTarget::Dynamics => Some(Target::Dynamics),
        TranslateTarget::Sugarcrm => Some(Target::Sugarcrm),
        TranslateTarget::All => None,
    };
    if let Some(t) = single {
        return match kql::translate(&src, lang, t, options) {
            Ok(tr) => {
                if !tr.warnings.is_empty() {
                    report(&Errors(tr.warnings.clone()), &src, diag)?;
                }
                match format {
                    Format::Text => print_out(&tr.request.to_string())?,
                    Format::Json => print_out(&to_json(&tr)?)?,
                }
                Ok(diag.accepted(!tr.warnings.is_empty()))
            }
            Err(errs) => {
                report(&errs, &src, diag)?;
                Ok(ExitCode::from(1))
            }
        };
    }
    // Every target of the language: one JSON object keyed by target, or one
    // `target: text` line per target. The JSON is serialised directly (never
    // through `serde_json::Value`, which would turn exact decimals into floats).
    let mut all_ok = true;
    let mut warned = false;
    let mut json: Vec<(&'static str, Outcome)> = Vec::new();
    for &t in lang.targets() {
        let result = kql::translate(&src, lang, t, options);
        all_ok &= result.is_ok();
        warned |= result.as_ref().is_ok_and(|tr| !tr.warnings.is_empty());
        match format {
            Format::Json => json.push((t.name(), Outcome(result))),
            Format::Text => match result {
                Ok(tr) => {
                    if !tr.warnings.is_empty() {
                        eprint_heading(t)?;
                        report(&Errors(tr.warnings.clone()), &src, diag)?;
                    }
                    print_out(&format!("{t}: {}", tr.request))?;
                }
                Err(errs) => {
                    eprint_heading(t)?;
                    report(&errs, &src, diag)?;
                    print_out(&format!("{t}: rejected"))?;
                }
            },
        }
    }
    if format == Format::Json {
        print_out(&to_json(&ByTarget(json))?)?;
    }
    Ok(if all_ok {
        diag.accepted(warned)
    } else {
        ExitCode::from(1)
    })
}

/// `kql translate --batch`: one JSON result per NDJSON request line (see
/// [`kql::batch`]). A bad line gives an error object and the run goes on;
/// only an I/O failure stops it (exit 2).
fn translate_batch(common: &Common, options: &Options, diag: Diag) -> Result<ExitCode, Fatal> {
    let (mut reader, name) = Input::of(common).reader()?;
    // A line holds one query of at most `max_input_bytes`, which JSON escaping
    // makes at most 6 times longer, plus the other fields.
    let cap = options
        .limits
        .max_input_bytes
        .saturating_mul(6)
        .saturating_add(64 * 1024);
    let lang: Lang = common.lang.into();
    let mut out = std::io::stdout().lock();
    let mut buf = Vec::new();
    let mut number = 0u64;
    let mut warned = false;
    loop {
        let too_long = match next_line(&mut reader, cap, &mut buf) {
            Ok(Some(too_long)) => too_long,
            Ok(None) => break,
            Err(e) => return Err(Fatal(format!("cannot read {name}: {e}"))),
        };
        number += 1;
        let invalid = |msg: String| LineResult {
            line: number,
            id: None,
            outcome: LineOutcome::Invalid(msg),
        };
        let result = if too_long {
            Some(invalid(format!("the line is longer than {cap} bytes")))
        } else {
            match std::str::from_utf8(&buf) {
                Ok(line) => kql::batch::translate_line(line, number, lang, options),
                Err(e) => Some(invalid(format!(
                    "the line is not valid UTF-8 (invalid byte at offset {})",
                    e.valid_up_to()
                ))),
            }
        };
        let Some(result) = result else {
            continue; // a blank line
        };
        warned |= result.has_warnings();
        serde_json::to_writer(&mut out, &result)
            .map_err(|e| Fatal(format!("cannot write stdout: {e}")))?;
        out.write_all(b"\n")
            .map_err(|e| Fatal(format!("cannot write stdout: {e}")))?;
    }
    out.flush()
        .map_err(|e| Fatal(format!("cannot write stdout: {e}")))?;
    Ok(diag.accepted(warned))
}

/// Reads one line (without its `\n` or `\r\n`) into `buf`. `Some(true)` when
/// the line is longer than `cap` bytes: then the rest of it is skipped
/// unread into memory. `None` at the end of the input.
fn next_line(r: &mut dyn BufRead, cap: usize, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    buf.clear();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    let n = r.take(limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        return Ok(Some(false));
    }
    if buf.len() <= cap {
        return Ok(Some(false)); // the last line, without a newline
    }
    buf.clear();
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        if let Some(i) = chunk.iter().position(|&b| b == b'\n') {
            r.consume(i + 1);
            break;
        }
        let n = chunk.len();
        r.consume(n);
    }
    Ok(Some(true))
}

/// `kql unify`: a records document (a file, or stdin) to `{"objects": [...]}`.
/// Input that is not JSON is a usage error (exit 2); JSON of another shape
/// is `U010` (exit 1).
fn unify(
    target: Target,
    object: &str,
    raw: bool,
    path: Option<PathBuf>,
    diag: Diag,
) -> Result<ExitCode, Fatal> {
    let (mut reader, name) = path.map_or(Input::Stdin, Input::File).reader()?;
    let mut buf = Vec::new();
    reader
        .read_to_end(&mut buf)
        .map_err(|e| Fatal(format!("cannot read {name}: {e}")))?;
    let doc: serde_json::Value = serde_json::from_slice(&buf)
        .map_err(|e| Fatal(format!("{name} is not a JSON document: {e}")))?;
    let options = kql::UnifyOptions { raw };
    match kql::unify(&doc, target, object, &options) {
        Ok(v) => {
            print_out(&to_json(&v)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(errs) => {
            if diag.format == ErrorFormat::Human {
                // no query text to point into: the code, the message, the help
                let mut text = String::new();
                for e in &errs.0 {
                    text.push_str(&format!("error[{}]: {}\n", e.code, e.message));
                    if let Some(h) = &e.help {
                        text.push_str(&format!("  = help: {h}\n"));
                    }
                }
                let text = if diag.color { colorize(&text) } else { text };
                write!(std::io::stderr(), "{text}")
                    .map_err(|e| Fatal(format!("cannot write stderr: {e}")))?;
            } else {
                report(&errs, "", diag)?;
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// `kql targets`: which language compiles to which target, in which modes.
fn targets(format: Format) -> Result<ExitCode, Fatal> {
    const MODES: [(&str, &str); 2] = [
        (
            "documented",
            "the documented subset of the language (the default)",
        ),
        (
            "extended",
            "`--extended`: also the extensions listed in grammar/subset.md",
        ),
    ];
    match format {
        Format::Text => {
            let mut s = String::from("LANG  TARGET      MODES\n");
            for lang in Lang::ALL {
                for t in lang.targets() {
                    let modes: Vec<&str> = MODES.iter().map(|m| m.0).collect();
                    s.push_str(&format!(
                        "{:<5} {:<11} {}\n",
                        lang.name(),
                        t.name(),
                        modes.join(", ")
                    ));
                }
            }
            s.push('\n');
            for (name, about) in MODES {
                s.push_str(&format!("{:<11} {about}\n", format!("{name}:")));
            }
            print_out(s.trim_end())?;
        }
        Format::Json => {
            #[derive(serde::Serialize)]
            struct Mode {
                name: &'static str,
                description: &'static str,
            }
            #[derive(serde::Serialize)]
            struct Pair {
                lang: Lang,
                target: Target,
                modes: Vec<&'static str>,
            }
            #[derive(serde::Serialize)]
            struct Targets {
                languages: [Lang; 2],
                targets: [Target; 3],
                modes: Vec<Mode>,
                pairs: Vec<Pair>,
            }
            let v = Targets {
                languages: Lang::ALL,
                targets: Target::ALL,
                modes: MODES
                    .iter()
                    .map(|&(name, description)| Mode { name, description })
                    .collect(),
                pairs: Lang::ALL
                    .iter()
                    .flat_map(|&lang| {
                        lang.targets().iter().map(move |&target| Pair {
                            lang,
                            target,
                            modes: MODES.iter().map(|m| m.0).collect(),
                        })
                    })
                    .collect(),
            };
            print_out(&to_json(&v)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
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

/// Writes diagnostics to stderr: rendered text (coloured when `diag.color`)
/// or the JSON form.
fn report(errs: &Errors, src: &str, diag: Diag) -> Result<(), Fatal> {
    let mut err = std::io::stderr().lock();
    let text = match diag.format {
        ErrorFormat::Json => errs.to_json().to_string(),
        ErrorFormat::Human => {
            let plain = errs.render(src);
            if diag.color {
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
