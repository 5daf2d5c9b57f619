//! OCA/bank-statement-import expectations: the Python literal (`.pydata`) of
//! `(currency, account, [statement dicts])` that its camt importer produces.

use bank_adapters::Direction;

use crate::expected::{ExpLine, Expected, decimal_cents, reference};

/// The subset of Python literals these files use.
#[derive(Debug, Clone)]
pub enum Py {
    Str(String),
    Num(String),
    None,
    Bool,
    List(Vec<Py>),
    Dict(Vec<(Py, Py)>),
}

impl Py {
    fn get(&self, key: &str) -> Option<&Py> {
        match self {
            Py::Dict(items) => items.iter().find(|(k, _)| matches!(k, Py::Str(s) if s == key)).map(|(_, v)| v),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Py::Str(s) => Some(s),
            _ => None,
        }
    }
    fn num(&self) -> Option<&str> {
        match self {
            Py::Num(s) => Some(s),
            _ => None,
        }
    }
    fn list(&self) -> &[Py] {
        match self {
            Py::List(l) => l,
            _ => &[],
        }
    }
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    fn value(&mut self) -> Result<Py, String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'(') | Some(b'[') => {
                let close = if self.s[self.i] == b'(' { b')' } else { b']' };
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&close) {
                        self.i += 1;
                        return Ok(Py::List(items));
                    }
                    items.push(self.value()?);
                    self.ws();
                    if self.s.get(self.i) == Some(&b',') {
                        self.i += 1;
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(Py::Dict(items));
                    }
                    let k = self.value()?;
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return Err(format!("expected ':' at {}", self.i));
                    }
                    self.i += 1;
                    let v = self.value()?;
                    items.push((k, v));
                    self.ws();
                    if self.s.get(self.i) == Some(&b',') {
                        self.i += 1;
                    }
                }
            }
            Some(b'\'') | Some(b'"') => {
                // Adjacent literals concatenate, as in Python.
                let mut out = Vec::new();
                while let Some(&q @ (b'\'' | b'"')) = self.s.get(self.i) {
                    self.i += 1;
                    while let Some(&c) = self.s.get(self.i) {
                        self.i += 1;
                        if c == q {
                            break;
                        }
                        if c == b'\\' {
                            let e = *self.s.get(self.i).ok_or("dangling escape")?;
                            self.i += 1;
                            match e {
                                b'n' => out.push(b'\n'),
                                b't' => out.push(b'\t'),
                                b'r' => out.push(b'\r'),
                                b'x' => {
                                    let h = std::str::from_utf8(self.s.get(self.i..self.i + 2).ok_or("bad \\x")?)
                                        .map_err(|e| e.to_string())?;
                                    let v = u32::from_str_radix(h, 16).map_err(|e| e.to_string())?;
                                    self.i += 2;
                                    let ch = char::from_u32(v).ok_or("bad char")?;
                                    out.extend_from_slice(ch.to_string().as_bytes());
                                }
                                other => out.push(other),
                            }
                        } else {
                            out.push(c);
                        }
                    }
                    self.ws();
                }
                Ok(Py::Str(String::from_utf8_lossy(&out).into_owned()))
            }
            Some(_) => {
                let start = self.i;
                while self.s.get(self.i).is_some_and(|c| c.is_ascii_alphanumeric() || b"._-+".contains(c)) {
                    self.i += 1;
                }
                let tok = std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?;
                Ok(match tok {
                    "None" => Py::None,
                    "True" | "False" => Py::Bool,
                    "" => return Err(format!("unexpected byte at {}", self.i)),
                    n => Py::Num(n.to_string()),
                })
            }
            None => Err("unexpected end".into()),
        }
    }
}

fn narration_field(narration: &str, label: &str) -> Option<String> {
    narration.lines().find_map(|l| l.strip_prefix(label)).map(|v| v.trim().to_string())
}

pub fn load(text: &str) -> Result<Expected, String> {
    let v = P { s: text.as_bytes(), i: 0 }.value()?;
    let statements = v.list().get(2).map(Py::list).ok_or("no statement list")?;
    let mut exp = Expected::default();
    let mut balances = Vec::new();
    for s in statements {
        let bal = |k: &str| s.get(k).and_then(Py::num).and_then(decimal_cents);
        balances.push((bal("balance_start"), bal("balance_end_real")));
        for t in s.get("transactions").map(Py::list).unwrap_or_default() {
            let amount = t.get("amount").and_then(Py::num).and_then(decimal_cents);
            let narration = t.get("narration").and_then(Py::str).unwrap_or_default();
            let e2e = narration_field(narration, "End To End Id (Refs/EndToEndId):");
            let acct_ref = narration_field(narration, "Account Servicer Reference (Refs/AcctSvcrRef):");
            exp.lines.push(ExpLine {
                amount_cents: amount.map(i64::abs),
                direction: amount.map(|a| if a < 0 { Direction::Debit } else { Direction::Credit }),
                booking_date: t.get("date").and_then(Py::str).map(String::from),
                end_to_end_id: reference(e2e.as_deref()),
                bank_reference: reference(acct_ref.as_deref()),
                counterparty_account: reference(t.get("account_number").and_then(Py::str)),
                ..ExpLine::default()
            });
        }
    }
    exp.balances = Some(balances);
    Ok(exp)
}
