//! Structure-aware: an `Arbitrary` query shape is printed as KQL and then
//! checked like `translate`. Valid-looking queries reach the backends far
//! more often than raw bytes do.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Raw(String),
}

impl Name {
    fn write(&self, out: &mut String) {
        const NAMES: &[&str] = &[
            "Id",
            "Name",
            "name",
            "Industry",
            "AnnualRevenue",
            "CreatedDate",
            "Owner.Name",
            "accountid",
            "createdon",
            "parentaccountid.accountid",
            "date_entered",
            "account_type",
            "email",
            "from",
            "Select",
            "LIMIT",
            "_x",
            "a1",
        ];
        match self {
            Name::Known(i) => out.push_str(NAMES[*i as usize % NAMES.len()]),
            Name::Raw(s) => out.push_str(s),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Value {
    Str(String),
    Int(i64),
    Dec(i32, u16),
    Bool(bool),
    Null,
    DateTime(u8, u8, i8),
}

impl Value {
    fn write(&self, out: &mut String) {
        match self {
            Value::Str(s) => {
                out.push('\'');
                out.push_str(&s.replace('\'', "''"));
                out.push('\'');
            }
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Dec(a, b) => out.push_str(&format!("{a}.{b}")),
            Value::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
            Value::Null => out.push_str("NULL"),
            Value::DateTime(d, h, off) => out.push_str(&format!(
                "'2024-01-{:02}T{:02}:30:00{:+03}:00'",
                d % 28 + 1,
                h % 24,
                off % 14
            )),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Cond {
    Cmp(Name, u8, Value),
    Like(Name, bool, u8, String),
    In(Name, bool, Vec<Value>),
    IsNull(Name, bool),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Paren(Box<Cond>),
}

impl Cond {
    fn write(&self, out: &mut String, depth: usize) {
        if depth > 40 {
            out.push_str("x = 1");
            return;
        }
        match self {
            Cond::Cmp(n, op, v) => {
                n.write(out);
                out.push_str(
                    [" = ", " != ", " <> ", " < ", " <= ", " > ", " >= "][*op as usize % 7],
                );
                v.write(out);
            }
            Cond::Like(n, not, form, kw) => {
                n.write(out);
                out.push_str(if *not { " NOT LIKE '" } else { " LIKE '" });
                let kw = kw.replace('\'', "''");
                match form % 4 {
                    0 => out.push_str(&format!("%{kw}%")),
                    1 => out.push_str(&format!("{kw}%")),
                    2 => out.push_str(&format!("%{kw}")),
                    _ => out.push_str(&kw),
                }
                out.push('\'');
            }
            Cond::In(n, not, vs) => {
                n.write(out);
                out.push_str(if *not { " NOT IN (" } else { " IN (" });
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write(out);
                }
                out.push(')');
            }
            Cond::IsNull(n, not) => {
                n.write(out);
                out.push_str(if *not { " IS NOT NULL" } else { " IS NULL" });
            }
            Cond::Not(c) => {
                out.push_str("NOT ");
                c.write(out, depth + 1);
            }
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.write(out, depth + 1);
                out.push_str(if matches!(self, Cond::And(..)) {
                    " AND "
                } else {
                    " OR "
                });
                b.write(out, depth + 1);
            }
            Cond::Paren(c) => {
                out.push('(');
                c.write(out, depth + 1);
                out.push(')');
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Query {
    star: bool,
    fields: Vec<Name>,
    object: Name,
    filter: Option<Cond>,
    order: Vec<(Name, u8)>,
    limit: Option<u16>,
    offset: Option<u16>,
}

impl Query {
    fn text(&self) -> String {
        let mut out = String::from("SELECT ");
        if self.star || self.fields.is_empty() {
            out.push('*');
        }
        for (i, f) in self.fields.iter().enumerate() {
            if i > 0 || self.star {
                out.push_str(", ");
            }
            f.write(&mut out);
        }
        out.push_str(" FROM ");
        self.object.write(&mut out);
        if let Some(c) = &self.filter {
            out.push_str(" WHERE ");
            c.write(&mut out, 0);
        }
        for (i, (n, d)) in self.order.iter().enumerate() {
            out.push_str(if i == 0 { " ORDER BY " } else { ", " });
            n.write(&mut out);
            out.push_str(["", " ASC", " DESC"][*d as usize % 3]);
        }
        if let Some(l) = self.limit {
            out.push_str(&format!(" LIMIT {l}"));
        }
        if let Some(o) = self.offset {
            out.push_str(&format!(" OFFSET {o}"));
        }
        out
    }
}

fuzz_target!(|q: Query| {
    let src = q.text();
    if let Err(e) = kql::oracle::check_parse(&src).and_then(|()| kql::oracle::check_translate(&src))
    {
        panic!("{e}");
    }
});
