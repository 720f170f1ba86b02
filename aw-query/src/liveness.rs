//! Marks the variable reads that are the last use of their binding, so the interpreter
//! can move the value out of the environment instead of copying it (docs/QUERY.md §10).
//!
//! A backward liveness pass over the tree: programs have no loops, so every read is
//! evaluated at most once, and a read is a last use when no path from it reaches
//! another read of the same name before a reassignment. `RETURN` is live at the end
//! (it is the result) and `TIMEINTERVAL` is never moved (`query_bucket` reads it
//! behind the program's back).

use std::collections::HashSet;

use crate::ast::{Expr, Program, Stmt};

/// Sets `last_use` on every variable read after which the binding is dead.
pub fn mark_last_uses(program: &mut Program) {
    let mut live = HashSet::from(["RETURN".to_string()]);
    mark_block(&mut program.stmts, &mut live);
}

/// `live` holds the names live after the block on entry and before it on return.
fn mark_block(stmts: &mut [Stmt], live: &mut HashSet<String>) {
    for stmt in stmts.iter_mut().rev() {
        mark_stmt(stmt, live);
    }
}

fn mark_stmt(stmt: &mut Stmt, live: &mut HashSet<String>) {
    match stmt {
        Stmt::Simple {
            target,
            value,
            is_return,
        } => {
            if *is_return {
                live.remove("RETURN");
            }
            if let Some(name) = target {
                live.remove(name.as_str());
            }
            mark_expr(value, live);
        }
        Stmt::If { branches } => {
            let after = live.clone();
            // Live before testing the next condition; when every condition is false the
            // chain falls through to `after`.
            let mut before_next = after.clone();
            for (cond, body) in branches.iter_mut().rev() {
                let mut before_cond = after.clone();
                mark_block(body, &mut before_cond);
                before_cond.extend(before_next);
                mark_expr(cond, &mut before_cond);
                before_next = before_cond;
            }
            *live = before_next;
        }
    }
}

/// Walks `expr` against its evaluation order.
fn mark_expr(expr: &mut Expr, live: &mut HashSet<String>) {
    match expr {
        Expr::Number(_) | Expr::Bool(_) | Expr::String(_) => {}
        Expr::Var { name, last_use } => {
            *last_use = name != "TIMEINTERVAL" && !live.contains(name.as_str());
            live.insert(name.clone());
        }
        Expr::List(items) => items
            .iter_mut()
            .rev()
            .for_each(|item| mark_expr(item, live)),
        Expr::Dict(entries) => entries
            .iter_mut()
            .rev()
            .for_each(|(_, value)| mark_expr(value, live)),
        Expr::Call { name, args } => {
            // The callee is looked up after the arguments, and only borrowed.
            live.insert(name.clone());
            args.iter_mut().rev().for_each(|arg| mark_expr(arg, live));
        }
        Expr::Chain { first, rest } => {
            rest.iter_mut()
                .rev()
                .for_each(|(_, operand)| mark_expr(operand, live));
            mark_expr(first, live);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;
    use crate::parser::parse;

    /// The `last_use` flags of all reads, in source order.
    fn flags(source: &str) -> Vec<(String, bool)> {
        let mut program = parse(lex(source)).unwrap();
        mark_last_uses(&mut program);
        let mut out = Vec::new();
        collect_stmts(&program.stmts, &mut out);
        out
    }

    fn collect_stmts(stmts: &[Stmt], out: &mut Vec<(String, bool)>) {
        for stmt in stmts {
            match stmt {
                Stmt::Simple { value, .. } => collect_expr(value, out),
                Stmt::If { branches } => {
                    for (cond, body) in branches {
                        collect_expr(cond, out);
                        collect_stmts(body, out);
                    }
                }
            }
        }
    }

    fn collect_expr(expr: &Expr, out: &mut Vec<(String, bool)>) {
        match expr {
            Expr::Var { name, last_use } => out.push((name.clone(), *last_use)),
            Expr::List(items) => items.iter().for_each(|item| collect_expr(item, out)),
            Expr::Dict(entries) => entries.iter().for_each(|(_, v)| collect_expr(v, out)),
            Expr::Call { args, .. } => args.iter().for_each(|arg| collect_expr(arg, out)),
            Expr::Chain { first, rest } => {
                collect_expr(first, out);
                rest.iter()
                    .for_each(|(_, operand)| collect_expr(operand, out));
            }
            _ => {}
        }
    }

    #[test]
    fn last_uses() {
        let v = |name: &str, last: bool| (name.to_string(), last);
        let cases = [
            ("e = flood(e); return e;", vec![v("e", true), v("e", true)]),
            (
                "a = 1; b = a + a; return b;",
                vec![v("a", false), v("a", true), v("b", true)],
            ),
            ("x = 1; return x; y = x;", vec![v("x", false), v("x", true)]),
            ("RETURN = 5; return RETURN + 1;", vec![v("RETURN", true)]),
            (
                "t = TIMEINTERVAL; return t;",
                vec![v("TIMEINTERVAL", false), v("t", true)],
            ),
            (
                "x = 1; if true { y = x; } else { x = 2; } return x;",
                vec![v("x", false), v("x", true)],
            ),
            ("x = 1; if x == 1 { return 2; }", vec![v("x", true)]),
            (
                "x = 1; if x == 1 { return x; }",
                vec![v("x", false), v("x", true)],
            ),
        ];
        for (source, expected) in cases {
            assert_eq!(flags(source), expected, "{source}");
        }
    }
}
