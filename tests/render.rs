//! The diagnostic renderer (issue 12): its output is bounded whatever the
//! input, and its carets sit under the right columns.
//!
//! The repro shapes of the issue are built here and their rendered size is
//! asserted; how long they take is measured outside the tests (README,
//! "Diagnostics"), since timed tests are not allowed here.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use kql::error::{MAX_RENDERED, WINDOW_COLUMNS};
use kql::{check, translate, Code, Error, Errors, Lang, Options, Span, Target};

/// The most bytes any of the repro shapes may render to.
const BOUND: usize = 64 * 1024;

fn accepted_warnings(src: &str) -> Errors {
    match check(src, Lang::Kql, None, &Options::default()) {
        Ok(ir) => Errors(ir.warnings),
        Err(e) => panic!("rejected: {}", e.render(src)),
    }
}

fn rejected(src: &str) -> Errors {
    match check(src, Lang::Kql, None, &Options::default()) {
        Ok(_) => panic!("accepted: {src:.80}"),
        Err(e) => e,
    }
}

/// `SELECT a FROM b ORDER BY k, k, …` with `n` keys.
fn order_by_keys(n: usize) -> String {
    let mut s = String::from("SELECT a FROM b ORDER BY k");
    for _ in 1..n {
        s.push_str(", k");
    }
    s
}

/// `a LIKE '%x%y%'` `n` times, joined with `AND`.
fn like_predicates(n: usize) -> String {
    let preds: Vec<&str> = vec!["a LIKE '%x%y%'"; n];
    format!("SELECT a FROM b WHERE {}", preds.join(" AND "))
}

/// The lines quoting the query (`N | …`), each with its caret line.
fn quoted(rendered: &str) -> Vec<(&str, &str)> {
    let lines: Vec<&str> = rendered.lines().collect();
    lines
        .windows(2)
        .filter(|w| {
            w[0].split_once(" | ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|w| (w[0], w[1]))
        .collect()
}

/// Every quoted line shows at most a window (plus the two `…` marks) and
/// every caret run fits in it.
fn assert_windows(rendered: &str) {
    let q = quoted(rendered);
    assert!(!q.is_empty(), "no quoted line in {rendered}");
    for (line, carets) in q {
        let text = line.split_once(" | ").map_or("", |(_, t)| t);
        assert!(
            text.chars().count() <= WINDOW_COLUMNS + 2,
            "quoted line too long ({} chars): {line}",
            text.chars().count()
        );
        let run = carets.chars().filter(|&c| c == '^').count();
        assert!(run >= 1, "no caret under {line}");
        assert!(run <= WINDOW_COLUMNS, "{run} carets");
        assert!(
            carets.chars().count() <= line.chars().count() + 1,
            "caret line longer than the quoted line:\n{line}\n{carets}"
        );
    }
}

#[test]
fn order_by_16000_keys_renders_one_warning_with_a_note() {
    let src = order_by_keys(16_000);
    assert!(src.len() > 47_000 && src.len() < 100_000);
    let warnings = accepted_warnings(&src);
    assert_eq!(warnings.0.len(), 15_999);
    assert!(warnings.iter().all(|w| w.code == Code::DuplicateOrderKey));
    let out = warnings.render(&src);
    assert!(out.len() < BOUND, "{} bytes", out.len());
    assert_eq!(out.matches("warning[S104]").count(), 1, "{out}");
    assert!(
        out.contains("\n  = note: and 15998 more like this, at 1:32, 1:35, 1:38, …\n"),
        "{out}"
    );
    assert!(
        !out.contains("… and"),
        "every warning is accounted for: {out}"
    );
    assert_windows(&out);
}

#[test]
fn order_by_30000_keys_renders_one_warning_with_a_note() {
    let src = order_by_keys(30_000);
    assert!(src.len() > 89_000 && src.len() < 100_000);
    let warnings = accepted_warnings(&src);
    assert_eq!(warnings.0.len(), 29_999);
    let out = warnings.render(&src);
    assert!(out.len() < BOUND, "{} bytes", out.len());
    assert_eq!(out.matches("warning[S104]").count(), 1, "{out}");
    assert!(out.contains("= note: and 29998 more like this, at 1:32, 1:35, 1:38, …"));
    assert_windows(&out);
}

#[test]
fn like_999_predicates_render_the_first_50_and_count_the_rest() {
    let src = like_predicates(999);
    let errs = rejected(&src);
    assert_eq!(errs.0.len(), 999);
    let out = errs.render(&src);
    assert!(out.len() < BOUND, "{} bytes", out.len());
    // errors are never merged: the first MAX_RENDERED, then a count
    assert_eq!(out.matches("error[S011]").count(), MAX_RENDERED);
    assert!(
        out.ends_with("\n\n… and 949 more (use --error-format json for all)\n"),
        "{:?}",
        out.lines().last()
    );
    assert_windows(&out);
    // the 50th is the one rendered last, at its own place
    let last = errs.0[MAX_RENDERED - 1].span.start;
    assert!(out.contains(&format!(" --> 1:{}\n", last + 1)), "{out}");
    // every target, as `kql translate --target all` renders them
    for target in Target::ALL {
        let errs = translate(&src, Lang::Kql, target, &Options::default()).unwrap_err();
        let out = errs.render(&src);
        assert!(out.len() < BOUND, "{target}: {} bytes", out.len());
        assert_windows(&out);
    }
}

#[test]
fn oversize_input_quotes_only_a_window() {
    let preds: Vec<&str> = vec!["a = 1"; 20_000];
    let src = format!("SELECT a FROM b WHERE {}", preds.join(" AND "));
    assert!(src.len() > 100_000);
    for target in Target::ALL {
        let errs = translate(&src, Lang::Kql, target, &Options::default()).unwrap_err();
        assert_eq!(errs.0.len(), 1);
        assert_eq!(errs.0[0].code, Code::InputTooLarge);
        let out = errs.render(&src);
        assert!(out.len() < 1_000, "{} bytes:\n{out}", out.len());
        assert!(
            out.starts_with("error[L002]: query is 200017 bytes"),
            "{out}"
        );
        assert!(out.contains(" --> 1:100001\n"), "{out}");
        assert_windows(&out);
        let (line, carets) = quoted(&out)[0];
        assert!(line.starts_with("1 | …") && line.ends_with('…'), "{line}");
        // the caret starts at the limit and runs to the window's end
        assert_eq!(carets.trim_start_matches([' ', '|']).len(), 80, "{carets}");
    }
}

#[test]
fn one_100_kb_line_with_an_error_at_its_end() {
    let src = format!("SELECT a FROM b WHERE a = '{}' AND $", "x".repeat(99_900));
    assert!(src.len() > 99_900 && src.len() <= 100_000);
    let errs = rejected(&src);
    assert_eq!(errs.0[0].code, Code::InvalidCharacter);
    let out = errs.render(&src);
    assert!(out.len() < 1_000, "{} bytes:\n{out}", out.len());
    assert_windows(&out);
    let (line, carets) = quoted(&out)[0];
    // the window ends with the line and holds as much before it as fits
    assert!(
        line.starts_with("1 | …xxx") && line.ends_with("xxx' AND $"),
        "{line}"
    );
    assert_eq!(line.chars().count(), "1 | ".len() + WINDOW_COLUMNS + 1);
    assert_eq!(
        carets.find('^'),
        Some(line.chars().count() - 1),
        "{line}\n{carets}"
    );
    assert!(carets.ends_with(" ^"));
}

#[test]
fn long_span_carets_stop_at_the_window() {
    let src = format!("SELECT a FROM b WHERE a = 1 AND {} = 2", "n".repeat(500));
    let start = src.find('n').unwrap_or(0);
    let e = Error::new(Code::Syntax, Span::new(start, start + 500), "x");
    let out = e.render(&src);
    assert_windows(&out);
    let (line, carets) = quoted(&out)[0];
    assert_eq!(
        line,
        format!("1 | SELECT a FROM b WHERE a = 1 AND {}…", "n".repeat(88))
    );
    assert_eq!(carets, format!("  | {}{}", " ".repeat(32), "^".repeat(88)));
}

#[test]
fn a_cut_line_keeps_forty_columns_before_the_span() {
    let src = format!("{} $ {}", "a".repeat(300), "b".repeat(300));
    let e = Error::new(Code::InvalidCharacter, Span::new(301, 302), "x");
    let out = e.render(&src);
    let (line, carets) = quoted(&out)[0];
    assert_eq!(
        line,
        format!("1 | …{} $ {}…", "a".repeat(39), "b".repeat(78))
    );
    assert_eq!(carets, format!("  | {}^", " ".repeat(41)));
}

#[test]
fn render_limited_counts_what_it_leaves_out() {
    let src = like_predicates(5);
    let errs = rejected(&src);
    assert_eq!(errs.0.len(), 5);
    let two = errs.render_limited(&src, 2);
    assert_eq!(two.matches("error[S011]").count(), 2);
    assert!(two.ends_with("\n\n… and 3 more (use --error-format json for all)\n"));
    let none = errs.render_limited(&src, 0);
    assert_eq!(none, "… and 5 more (use --error-format json for all)\n");
    let all = errs.render_limited(&src, usize::MAX);
    assert_eq!(all.matches("error[S011]").count(), 5);
    assert!(!all.contains("more (use"));
    assert_eq!(errs.render(&src), all, "5 is under the default limit");
    assert_eq!(Errors::default().render(&src), "");
}

#[test]
fn repeated_warnings_merge_by_code_and_message() {
    let src = "SELECT a FROM b ORDER BY k, j, k, j, k";
    let warnings = accepted_warnings(src);
    assert_eq!(warnings.0.len(), 3);
    assert_eq!(
        warnings.render(src),
        "warning[S104]: `k` is sorted on twice; the repeat is dropped
 --> 1:32
  |
1 | SELECT a FROM b ORDER BY k, j, k, j, k
  |                                ^
  = help: remove the repeated sort key
  = note: and 1 more like this, at 1:38

warning[S104]: `j` is sorted on twice; the repeat is dropped
 --> 1:35
  |
1 | SELECT a FROM b ORDER BY k, j, k, j, k
  |                                   ^
  = help: remove the repeated sort key
"
    );
    // a merged warning counts as one of the limit, with all its repeats
    assert_eq!(
        warnings.render_limited(src, 1).lines().last(),
        Some("… and 1 more (use --error-format json for all)")
    );
}

#[test]
fn errors_with_one_message_are_not_merged() {
    let src = "SELECT a FROM b WHERE a LIKE '%x%y%' AND a LIKE '%x%y%'";
    let out = rejected(src).render(src);
    assert_eq!(out.matches("error[S011]").count(), 2, "{out}");
    assert!(!out.contains("more like this"));
}

/// Renders a one-byte-or-more span of `src` found by `at`.
fn caret_under(src: &str, at: &str) -> (String, String, String) {
    let start = src.find(at).unwrap_or(usize::MAX);
    let e = Error::new(Code::Syntax, Span::new(start, start + at.len()), "x");
    let out = e.render(src);
    let mut lines = out.lines().skip(1);
    let header = lines.next().unwrap_or("").to_string();
    let _ = lines.next();
    let line = lines.next().unwrap_or("").to_string();
    let carets = lines.next().unwrap_or("").to_string();
    (header, line, carets)
}

#[test]
fn carets_under_wide_characters() {
    // CJK: two columns each; the column counts characters
    let (header, line, carets) = caret_under("SELECT 名前, x FROM b", "x");
    assert_eq!(header, " --> 1:12");
    assert_eq!(line, "1 | SELECT 名前, x FROM b");
    assert_eq!(carets, format!("  | {}^", " ".repeat(13)));
    // a span over wide characters is as wide as they are
    let (_, _, carets) = caret_under("SELECT 名前 FROM b", "名前");
    assert_eq!(carets, format!("  | {}^^^^", " ".repeat(7)));
    // emoji
    let (header, _, carets) = caret_under("SELECT 😀 FROM b WHERE 😀 = x", "x");
    assert_eq!(header, " --> 1:27");
    assert_eq!(carets, format!("  | {}^", " ".repeat(28)));
    let (_, _, carets) = caret_under("SELECT a, 😀 FROM b", "😀");
    assert_eq!(carets, format!("  | {}^^", " ".repeat(10)));
}

#[test]
fn carets_after_combining_characters() {
    // `e` + U+0301: two characters, one column
    let src = "SELECT e\u{301}, x FROM b";
    let (header, line, carets) = caret_under(src, "x");
    assert_eq!(header, " --> 1:12");
    assert_eq!(line, format!("1 | {src}"));
    assert_eq!(carets, format!("  | {}^", " ".repeat(10)));
}

#[test]
fn tabs_are_quoted_as_four_spaces() {
    let (header, line, carets) = caret_under("SELECT\ta,\tx FROM b", "x");
    assert_eq!(header, " --> 1:11", "a tab is one character of the column");
    assert_eq!(line, "1 | SELECT    a,    x FROM b");
    assert_eq!(carets, format!("  | {}^", " ".repeat(16)));
    // a span over a tab is four columns wide
    let (_, _, carets) = caret_under("SELECT\ta FROM b", "\t");
    assert_eq!(carets, format!("  | {}^^^^", " ".repeat(6)));
}

#[test]
fn control_and_bidi_characters_are_shown_one_column_wide() {
    let (_, line, carets) = caret_under("SELECT a\u{7}, x FROM b", "x");
    assert_eq!(line, "1 | SELECT a\u{2407}, x FROM b");
    assert_eq!(carets, format!("  | {}^", " ".repeat(11)));
    // a right-to-left override would reorder the quoted line on a terminal
    let (_, line, carets) = caret_under("SELECT a\u{202E}, x FROM b", "x");
    assert_eq!(line, "1 | SELECT a\u{FFFD}, x FROM b");
    assert_eq!(carets, format!("  | {}^", " ".repeat(11)));
    // CRLF line ends are not quoted
    let (_, line, _) = caret_under("SELECT a\r\nFROM x\r\n", "x");
    assert_eq!(line, "2 | FROM x");
}

#[test]
fn the_window_counts_columns_not_characters() {
    // 100 CJK characters are 200 columns: the window holds fewer of them
    let src = format!("SELECT {} FROM b WHERE $", "名".repeat(100));
    let start = src.find('$').unwrap_or(0);
    let out = Error::new(Code::InvalidCharacter, Span::new(start, start + 1), "x").render(&src);
    let (line, carets) = quoted(&out)[0];
    let text = line.trim_start_matches("1 | ");
    assert!(
        text.starts_with('…') && text.ends_with("名 FROM b WHERE $"),
        "{text}"
    );
    let cjk = text.matches('名').count();
    // `…` + the CJK run + ` FROM b WHERE $` fit in the window
    assert!(
        1 + 2 * cjk + " FROM b WHERE $".len() <= WINDOW_COLUMNS + 1,
        "{cjk}"
    );
    assert_eq!(carets.find('^'), Some("  | ".len() + 1 + 2 * cjk + 14));
}

#[test]
fn zero_width_floods_and_long_messages_stay_bounded() {
    let src = format!("SELECT a{} FROM b WHERE $", "\u{301}".repeat(40_000));
    let errs = rejected(&src);
    let out = errs.render(&src);
    assert!(out.len() < 4_096, "{} bytes", out.len());
    let long = "m".repeat(10_000);
    let e = Error::new(Code::Syntax, Span::new(0, 1), long.clone()).with_help(long);
    let out = e.render("SELECT");
    assert!(out.len() < 1_024, "{} bytes", out.len());
    assert!(out.starts_with(&format!("error[P001]: {}…\n", "m".repeat(200))));
}

#[test]
fn later_lines_and_spans_past_the_end() {
    let src = "SELECT a\nFROM b\nWHERE a == 1";
    let errs = rejected(src);
    let out = errs.render(src);
    assert!(
        out.contains(" --> 3:10\n  |\n3 | WHERE a == 1\n  |          ^\n"),
        "{out}"
    );
    let e = Error::new(Code::Syntax, Span::new(500, 600), "x");
    let out = e.render(src);
    assert!(
        out.contains(" --> 3:13\n  |\n3 | WHERE a == 1\n  |             ^\n"),
        "{out}"
    );
}

fn kql(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kql"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kql");
    // kql reads no further than its input limit: past it, the pipe closes
    if let Err(e) = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
    {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    child.wait_with_output().expect("wait for kql")
}

#[test]
fn cli_stderr_is_bounded_for_every_repro() {
    let oversize = format!(
        "SELECT a FROM b WHERE {}",
        vec!["a = 1"; 20_000].join(" AND ")
    );
    let cases = [
        (order_by_keys(16_000), 0),
        (order_by_keys(30_000), 0),
        (like_predicates(999), 1),
        (oversize, 1),
    ];
    for (src, code) in &cases {
        for args in [
            &["check", "-"][..],
            &["translate", "--target", "all", "-"][..],
        ] {
            let out = kql(args, src);
            assert_eq!(out.status.code(), Some(*code), "{args:?} {src:.60}");
            assert!(
                out.stderr.len() < BOUND,
                "{args:?} {src:.60}: {} bytes of stderr",
                out.stderr.len()
            );
        }
    }
}

// ---- JSON: line and column, key order ----

#[test]
fn json_has_line_and_column_and_a_fixed_key_order() {
    let src = "SELECT a FROM b WHERE a LIKE '%x%y%'";
    let errs = rejected(src);
    assert_eq!(
        errs.to_json(),
        concat!(
            r#"{"errors":[{"code":"S011","severity":"error","#,
            r#""message":"`%` is allowed only at the start and end of the pattern","#,
            r#""span":{"start":29,"end":36},"line":1,"column":30,"#,
            r#""help":"KQL supports '%kw', 'kw%' and '%kw%'; `%` inside the keyword cannot be matched literally"}]}"#
        )
    );
}

#[test]
fn json_columns_count_characters_on_later_lines() {
    // line 3, after a tab and `名前` (two characters, six bytes): the column counts characters
    let src = "SELECT 名前\nFROM b\n\tWHERE 名前 == 1";
    let errs = rejected(src);
    let e = &errs.0[0];
    assert_eq!(e.code, Code::Syntax);
    assert_eq!((e.line, e.column), (Some(3), Some(12)));
    let v: serde_json::Value = serde_json::from_str(&errs.to_json()).expect("JSON");
    assert_eq!(v["errors"][0]["line"], 3);
    assert_eq!(v["errors"][0]["column"], 12);
    assert_eq!(v["errors"][0]["span"]["start"], e.span.start);
    // the rendered header says the same
    assert!(errs.render(src).contains(" --> 3:12\n"));
}

#[test]
fn warnings_of_a_translation_serialise_like_diagnostics() {
    let src = "SELECT a AS x FROM Accounts";
    let t = translate(src, Lang::Kql, Target::Dynamics, &Options::default()).expect("accepted");
    let json = serde_json::to_string(&t).expect("serialises");
    assert!(
        json.contains(concat!(
            r#"{"code":"S101","severity":"warning","message":"alias `x` is ignored","#,
            r#""span":{"start":9,"end":13},"line":1,"column":10,"help":"#
        )),
        "{json}"
    );
    assert!(
        json.contains(r#"{"code":"B027","severity":"warning","#),
        "{json}"
    );
    assert!(t.warnings.iter().all(|w| w.line == Some(1)));
    // and through Errors::to_json, the same objects
    let errs = Errors(t.warnings.clone());
    let from_errors = errs.to_json();
    let list = serde_json::to_string(&t.warnings).expect("serialises");
    assert_eq!(from_errors, format!(r#"{{"errors":{list}}}"#));
}

#[test]
fn validate_and_lower_leave_positions_to_locate() {
    let src = "SELECT a FROM b\nWHERE a = NULL";
    let opts = Options::default();
    let ast = kql::parse(src, Lang::Kql, &opts).expect("parses");
    let mut errs = kql::validate(&ast, Lang::Kql, None, &opts).unwrap_err();
    assert_eq!(errs.0[0].line, None);
    assert!(!errs.to_json().contains("\"line\""));
    errs.locate(src);
    assert_eq!((errs.0[0].line, errs.0[0].column), (Some(2), Some(7)));
    assert_eq!(errs.0, rejected(src).0);
}

/// Line and column of `offset` the slow way.
fn naive(src: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    let before = &src[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

#[test]
fn locate_agrees_with_the_slow_way_for_any_offsets() {
    let src = "SELECT 名前,\té\u{301}\n\nFROM 😀 b\r\nWHERE x = 'ü\nü' AND";
    // every byte offset (mid-character ones too) and a few past the end,
    // out of order and repeated
    let mut offsets: Vec<usize> = (0..src.len() + 3).rev().collect();
    offsets.extend([5, 5, 0, 1000]);
    let mut errs = Errors(
        offsets
            .iter()
            .map(|&o| Error::new(Code::Syntax, Span::new(o, o + 1), "x"))
            .collect(),
    );
    errs.locate(src);
    for (e, &o) in errs.iter().zip(&offsets) {
        let (line, column) = naive(src, o);
        assert_eq!((e.line, e.column), (Some(line), Some(column)), "offset {o}");
    }
}

#[test]
fn cli_json_diagnostics_have_positions_in_key_order() {
    let out = kql(
        &["check", "--error-format", "json", "-"],
        "SELECT a\nFROM b WHERE a == 1",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert!(
        err.starts_with(concat!(
            r#"{"errors":[{"code":"P001","severity":"error","#,
            r#""message":"expected a property name or value, found `=`","#,
            r#""span":{"start":25,"end":26},"line":2,"column":17"#
        )),
        "{err}"
    );
    let out = kql(
        &["translate", "--target", "dynamics", "--format", "json", "-"],
        "SELECT a FROM Accounts",
    );
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["warnings"][0]["code"], "B027");
    assert_eq!(v["warnings"][0]["line"], 1);
    assert_eq!(v["warnings"][0]["column"], 15);
}
