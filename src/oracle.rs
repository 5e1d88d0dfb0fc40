//! Invariants checked by the fuzz targets (`fuzz/`) and replayed by
//! `cargo test` over `fuzz/regressions/` and the corpus. Not a stable API.
//!
//! - [`check_parse`]: whatever parses prints back and re-parses to an equal tree.
//! - [`check_translate`]: every language × target × mode × names mode: no panic, every
//!   diagnostic span inside the input on char boundaries, and every success
//!   well formed (SOQL and OData literals balanced, SugarCRM body valid JSON
//!   of the documented shape).

use crate::{parse, translate, Errors, Lang, Names, Options, Target};

/// Every invariant on one input: [`check_parse`] then [`check_translate`].
pub fn check_input(data: &[u8]) -> Result<(), String> {
    let Ok(src) = std::str::from_utf8(data) else {
        return Ok(());
    };
    check_parse(src)?;
    check_translate(src)
}

/// Whatever parses prints back to text that re-parses to an equal tree, and
/// printing is idempotent.
pub fn check_parse(src: &str) -> Result<(), String> {
    for lang in Lang::ALL {
        match parse(src, lang, &Options::default()) {
            Ok(ast) => {
                let printed = ast.to_string();
                let again = parse(&printed, lang, &Options::default())
                    .map_err(|e| format!("printed query does not re-parse: {printed:?}: {e}"))?;
                if again != ast {
                    return Err(format!(
                        "round trip changed the tree: {src:?} → {printed:?}"
                    ));
                }
                if again.to_string() != printed {
                    return Err(format!("printing is not idempotent: {printed:?}"));
                }
            }
            Err(errs) => spans_ok(src, &errs)?,
        }
    }
    Ok(())
}

/// Translates to every target of both languages in both modes, with raw
/// and with unified names.
pub fn check_translate(src: &str) -> Result<(), String> {
    for lang in Lang::ALL {
        for target in Target::ALL {
            for (extended, names) in [
                (false, Names::Raw),
                (true, Names::Raw),
                (false, Names::Unified),
                (true, Names::Unified),
            ] {
                let opts = Options {
                    names,
                    ..Options::default().extended(extended)
                };
                match translate(src, lang, target, &opts) {
                    Ok(t) => {
                        diagnostics_ok(src, &Errors(t.warnings.clone()))?;
                        let json = serde_json::to_value(&t)
                            .map_err(|e| format!("translation does not serialise: {e}"))?;
                        let text = t.request.to_string();
                        well_formed(target, &json, Some(&text))
                            .map_err(|e| format!("{lang}→{target} of {src:?}: {e}\n{json}"))?;
                    }
                    Err(errs) => spans_ok(src, &errs)?,
                }
            }
        }
    }
    Ok(())
}

/// Every span lies inside `src`, on char boundaries, is located (line and
/// column) and renders within its bound; a
/// rejection carries at least one error.
pub fn spans_ok(src: &str, errs: &Errors) -> Result<(), String> {
    diagnostics_ok(src, errs)?;
    if !errs.has_errors() {
        return Err("a rejection without an error".into());
    }
    Ok(())
}

/// [`spans_ok`] for the warnings of an accepted query (possibly none).
fn diagnostics_ok(src: &str, errs: &Errors) -> Result<(), String> {
    for e in errs.iter() {
        let (s, t) = (e.span.start, e.span.end);
        if s > t || t > src.len() || !src.is_char_boundary(s) || !src.is_char_boundary(t) {
            return Err(format!(
                "span {s}..{t} of {} is outside {} bytes of {src:?}",
                e.code,
                src.len()
            ));
        }
        // parse, check and translate locate every diagnostic: the line and
        // column (in chars) of the span's start, computed here the slow way
        let before = src.get(..s).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        if (e.line, e.column) != (Some(line), Some(column)) {
            return Err(format!(
                "{} at byte {s} is located at {:?}:{:?}, not {line}:{column}",
                e.code, e.line, e.column
            ));
        }
        if e.message.is_empty() || e.message.contains('\n') {
            return Err(format!("{}: message must be one non-empty line", e.code));
        }
    }
    // Bounded whatever the input: a message, a window and a help line per
    // rendered diagnostic (each under 4 KB), and one line counting the rest.
    let rendered = errs.render(src);
    let bound = 4096 * crate::error::MAX_RENDERED.min(errs.0.len()) + 100;
    if rendered.len() > bound {
        return Err(format!(
            "{} diagnostics render to {} bytes, over {bound}",
            errs.0.len(),
            rendered.len()
        ));
    }
    Ok(())
}

fn well_formed(
    target: Target,
    json: &serde_json::Value,
    request_text: Option<&str>,
) -> Result<(), String> {
    match target {
        Target::Salesforce => {
            let soql = json["soql"].as_str().ok_or("no soql")?;
            soql_literals_balanced(soql)
        }
        Target::Dynamics => {
            let query = json["query"].as_object().ok_or("no query object")?;
            for (k, v) in query {
                let v = v
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string());
                odata_literals_balanced(&v).map_err(|e| format!("{k}: {e}"))?;
            }
            Ok(())
        }
        Target::Sugarcrm => {
            // the body as sent (its text form) must be JSON of the documented shape
            let text = request_text.ok_or("no request text")?;
            let body: serde_json::Value =
                serde_json::from_str(text).map_err(|e| format!("body is not JSON: {e}: {text}"))?;
            sugar_shape(&body)
        }
    }
}

/// SOQL: every `'…'` literal is closed, uses only SOQL escapes, holds no raw
/// newline, and parentheses outside literals balance.
pub fn soql_literals_balanced(soql: &str) -> Result<(), String> {
    let mut depth = 0i64;
    let mut chars = soql.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next() {
                    None => return Err(format!("unclosed literal in {soql:?}")),
                    Some('\'') => break,
                    Some('\\') => match chars.next() {
                        Some('n' | 'r' | 't' | 'b' | '"' | '\'' | '\\' | '%' | '_' | 'u') => {}
                        other => return Err(format!("invalid escape \\{other:?} in {soql:?}")),
                    },
                    Some('\n') => return Err(format!("raw newline in a literal of {soql:?}")),
                    Some(_) => {}
                }
            },
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("unbalanced `)` in {soql:?}"));
                }
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced `(` in {soql:?}"));
    }
    Ok(())
}

/// OData (decoded option value): `'…'` literals with `''`, JSON `"…"`
/// strings inside `[…]`, and balanced parentheses outside literals.
pub fn odata_literals_balanced(v: &str) -> Result<(), String> {
    let mut depth = 0i64;
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next() {
                    None => return Err(format!("unclosed '…' literal in {v:?}")),
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                    }
                    Some('\'') => break,
                    Some(_) => {}
                }
            },
            '"' => loop {
                match chars.next() {
                    None => return Err(format!("unclosed \"…\" string in {v:?}")),
                    Some('\\') => {
                        chars.next();
                    }
                    Some('"') => break,
                    // JSON requires escaping only U+0000–U+001F (C1 may stay raw)
                    Some(c) if c < ' ' => {
                        return Err(format!("raw control character in a JSON string of {v:?}"))
                    }
                    Some(_) => {}
                }
            },
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("unbalanced `)` in {v:?}"));
                }
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced `(` in {v:?}"));
    }
    Ok(())
}

const SUGAR_OPS: &[&str] = &[
    "$equals",
    "$not_equals",
    "$starts",
    "$ends",
    "$contains",
    "$not_contains",
    "$in",
    "$not_in",
    "$is_null",
    "$not_null",
    "$lt",
    "$lte",
    "$gt",
    "$gte",
];

fn sugar_ident(s: &str) -> bool {
    s.split('.').count() <= 2
        && s.split('.').all(|seg| {
            let mut cs = seg.chars();
            cs.next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// The SugarCRM request-shape rules (sugarcrm-filter.md §8) that fuzzing can
/// check cheaply: single-key single-operator objects, no empty groups,
/// nesting ≤ 13, scalar non-null values, arrays only for `$in`/`$not_in`,
/// string `fields`/`order_by`, safe identifiers, positive `max_num`.
pub fn sugar_shape(body: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value;
    fn items(list: &Value, depth: usize) -> Result<(), String> {
        let arr = list.as_array().ok_or("a filter list is not an array")?;
        if arr.is_empty() {
            return Err("empty filter group".into());
        }
        if depth > 13 {
            return Err("more than 13 nested groups".into());
        }
        for it in arr {
            let obj = it.as_object().ok_or("a filter item is not an object")?;
            if obj.len() != 1 {
                return Err(format!("filter item with {} keys", obj.len()));
            }
            for (k, v) in obj {
                if k == "$and" || k == "$or" {
                    items(v, depth + 1)?;
                    continue;
                }
                if !sugar_ident(k) {
                    return Err(format!("bad field name {k:?}"));
                }
                let ops = v
                    .as_object()
                    .ok_or("a field condition is not an operator object")?;
                if ops.len() != 1 {
                    return Err(format!("{} operators in one object", ops.len()));
                }
                for (op, val) in ops {
                    if !SUGAR_OPS.contains(&op.as_str()) {
                        return Err(format!("unknown operator {op}"));
                    }
                    match val {
                        Value::Array(vs) if op == "$in" || op == "$not_in" => {
                            if vs.is_empty()
                                || vs
                                    .iter()
                                    .any(|x| x.is_null() || x.is_object() || x.is_array())
                            {
                                return Err(format!("bad {op} list"));
                            }
                        }
                        Value::String(_) | Value::Number(_) | Value::Bool(_)
                            if op != "$in" && op != "$not_in" => {}
                        _ => return Err(format!("bad value for {op}: {val}")),
                    }
                }
            }
        }
        Ok(())
    }
    let obj = body.as_object().ok_or("body is not an object")?;
    if let Some(f) = obj.get("filter") {
        items(f, 0)?;
    }
    if let Some(f) = obj.get("fields") {
        let s = f.as_str().ok_or("fields is not a string")?;
        if !s.split(',').all(sugar_ident) {
            return Err(format!("bad fields {s:?}"));
        }
    }
    if let Some(o) = obj.get("order_by") {
        let s = o.as_str().ok_or("order_by is not a string")?;
        for part in s.split(',') {
            let (f, d) = part
                .split_once(':')
                .ok_or("order_by item without direction")?;
            if !sugar_ident(f) || !(d == "asc" || d == "desc") {
                return Err(format!("bad order_by item {part:?}"));
            }
        }
    }
    if let Some(m) = obj.get("max_num") {
        if m.as_u64().is_none_or(|m| m == 0) {
            return Err(format!("max_num must be a positive integer, got {m}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soql_balance_checker() {
        assert!(soql_literals_balanced("SELECT Id FROM A WHERE N = 'O\\'B' AND (x = 1)").is_ok());
        assert!(soql_literals_balanced("SELECT Id FROM A WHERE N = 'O'B'").is_err());
        assert!(soql_literals_balanced("WHERE N = 'a\\fb'").is_err());
        assert!(soql_literals_balanced("WHERE N = 'a\nb'").is_err());
        assert!(soql_literals_balanced("WHERE (N = 'a'").is_err());
    }

    #[test]
    fn odata_balance_checker() {
        assert!(odata_literals_balanced("name eq 'O''B' and contains(x,'(')").is_ok());
        assert!(odata_literals_balanced(
            "Microsoft.Dynamics.CRM.In(PropertyName='a',PropertyValues=[\"x\\\"y\",\"')\"])"
        )
        .is_ok());
        assert!(odata_literals_balanced("name eq 'O'B'").is_err());
        assert!(odata_literals_balanced("not (a eq 1").is_err());
    }

    #[test]
    fn sugar_shape_checker() {
        let ok = serde_json::json!({"filter":[{"name":{"$starts":"A"}},{"$or":[{"a":{"$equals":1}},{"b":{"$in":["x"]}}]}],"fields":"name,a","order_by":"name:asc","max_num":5});
        assert_eq!(sugar_shape(&ok), Ok(()));
        for bad in [
            serde_json::json!({"filter":[{"$or":[]}]}),
            serde_json::json!({"filter":[{"a":{"$equals":null}}]}),
            serde_json::json!({"filter":[{"a":{"$equals":1,"$lt":2}}]}),
            serde_json::json!({"filter":[{"$owner":{"$equals":1}}]}),
            serde_json::json!({"filter":[{"a":{"$equals":{"$field":"b"}}}]}),
            serde_json::json!({"max_num":0}),
            serde_json::json!({"order_by":"a"}),
        ] {
            assert!(sugar_shape(&bad).is_err(), "{bad}");
        }
    }
}
