//! [`Plan`]: which top-level statements of a program must wait for which, so that
//! independent ones (the Chrome and the Firefox half of aw-webui's desktop query, the
//! window and the browser summaries) can run at the same time (module `schedule`).
//!
//! What must stay true: a statement waits for every earlier statement that writes a
//! name it uses, and for every earlier statement that uses a name it writes; moving a
//! value out (a read marked `last_use`) counts as a write. So statements that run at
//! the same time only ever share bindings both merely read, and each binding a
//! statement sees is the one running the program in order would give it. `query_bucket`
//! reads `TIMEINTERVAL` behind the program's back, so every statement is taken to read
//! it. The plan is linear in the program's size.

use std::collections::HashMap;

use crate::ast::{Expr, Program, Stmt};

/// The name `query_bucket` reads behind the program's back.
const TIMEINTERVAL: &str = "TIMEINTERVAL";

/// One top-level statement's bindings and what it waits for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Step {
    /// Names it may read without moving: shared with other readers while it runs.
    pub(crate) reads: Vec<String>,
    /// Names it may move out of the environment: handed over to it alone.
    pub(crate) takes: Vec<String>,
    /// Names whose bindings it may leave changed (assigned or taken).
    pub(crate) writes: Vec<String>,
    /// Earlier statements it must wait for, ascending.
    pub(crate) after: Vec<usize>,
    /// Later statements waiting for it, ascending.
    pub(crate) before: Vec<usize>,
}

/// The steps of a program's top-level statements, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Plan {
    pub(crate) steps: Vec<Step>,
}

impl Plan {
    /// The plan of `program`, whose reads are already marked by `liveness`.
    pub(crate) fn new(program: &Program) -> Plan {
        let mut steps: Vec<Step> = program.stmts.iter().map(step_of).collect();
        let mut last_writer: HashMap<&str, usize> = HashMap::new();
        let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut edges = Vec::new();
        for (idx, step) in steps.iter().enumerate() {
            let mut after = Vec::new();
            for name in &step.reads {
                after.extend(last_writer.get(name.as_str()).copied());
                readers.entry(name).or_default().push(idx);
            }
            for name in &step.writes {
                after.extend(last_writer.insert(name, idx));
                after.extend(readers.remove(name.as_str()).unwrap_or_default());
            }
            after.retain(|&earlier| earlier != idx);
            after.sort_unstable();
            after.dedup();
            edges.push(after);
        }
        for (idx, after) in edges.into_iter().enumerate() {
            for &earlier in &after {
                if let Some(step) = steps.get_mut(earlier) {
                    step.before.push(idx);
                }
            }
            if let Some(step) = steps.get_mut(idx) {
                step.after = after;
            }
        }
        Plan { steps }
    }
}

/// The names statement `stmt` reads, takes and writes.
fn step_of(stmt: &Stmt) -> Step {
    let mut uses = Uses::default();
    uses.stmt(stmt);
    let Uses {
        mut reads,
        mut takes,
        mut writes,
    } = uses;
    reads.push(TIMEINTERVAL.to_string());
    for names in [&mut reads, &mut takes] {
        names.sort_unstable();
        names.dedup();
    }
    // A name both read and taken is handed over whole.
    reads.retain(|name| takes.binary_search(name).is_err());
    writes.extend(takes.iter().cloned());
    writes.sort_unstable();
    writes.dedup();
    Step {
        reads,
        takes,
        writes,
        ..Step::default()
    }
}

#[derive(Default)]
struct Uses {
    reads: Vec<String>,
    takes: Vec<String>,
    writes: Vec<String>,
}

impl Uses {
    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Simple {
                target,
                value,
                is_return,
            } => {
                self.expr(value);
                self.writes.extend(target.iter().cloned());
                if *is_return {
                    self.writes.push("RETURN".to_string());
                }
            }
            Stmt::If { branches } => {
                for (cond, body) in branches {
                    self.expr(cond);
                    body.iter().for_each(|stmt| self.stmt(stmt));
                }
            }
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Number(_) | Expr::Bool(_) | Expr::String(_) => {}
            Expr::Var {
                name,
                last_use: true,
            } => self.takes.push(name.clone()),
            Expr::Var { name, .. } => self.reads.push(name.clone()),
            Expr::List(items) => items.iter().for_each(|item| self.expr(item)),
            Expr::Dict(entries) => entries.iter().for_each(|(_, value)| self.expr(value)),
            Expr::Call { name, args } => {
                self.reads.push(name.clone());
                args.iter().for_each(|arg| self.expr(arg));
            }
            Expr::Chain { first, rest } => {
                self.expr(first);
                rest.iter().for_each(|(_, operand)| self.expr(operand));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;
    use crate::liveness::mark_last_uses;
    use crate::parser::parse;

    fn plan(source: &str) -> Plan {
        let mut program = parse(lex(source)).unwrap();
        mark_last_uses(&mut program);
        Plan::new(&program)
    }

    /// For each statement of `source`, the earlier ones it waits for.
    fn waits(source: &str) -> Vec<Vec<usize>> {
        plan(source)
            .steps
            .into_iter()
            .map(|step| step.after)
            .collect()
    }

    #[test]
    fn statements_wait_for_what_they_read_and_what_reads_what_they_write() {
        let cases: [(&str, Vec<Vec<usize>>); 8] = [
            // Independent reads and assignments.
            (
                "a = 1; b = 2; return [a, b];",
                vec![vec![], vec![], vec![0, 1]],
            ),
            // Reads after a write; the last read of `x` moves it, so it waits for the
            // other reader, and the next assignment waits for the move.
            (
                "x = 1; y = x + 1; z = x + 2; x = 3; return [x, y, z];",
                vec![vec![], vec![0], vec![0, 1], vec![2], vec![1, 2, 3]],
            ),
            // A last use moves the value: it waits for the other readers.
            (
                "e = [1]; a = e; b = e; e = concat(e, [2]); return [a, b, e];",
                vec![vec![], vec![0], vec![0], vec![0, 1, 2], vec![1, 2, 3]],
            ),
            // An undefined name read before it is assigned: the assignment waits.
            ("y = x; x = 1; return y;", vec![vec![], vec![0], vec![0]]),
            // Rebinding a built-in orders its callers around it.
            (
                "a = flood([]); flood = sort_by_duration; b = flood([]); return [a, b];",
                vec![vec![], vec![0], vec![1], vec![0, 2]],
            ),
            // TIMEINTERVAL is read by every statement.
            (
                "a = 1; TIMEINTERVAL = \"x\"; b = 2; return a;",
                vec![vec![], vec![0], vec![1], vec![0, 1]],
            ),
            // An `if` uses every name of its conditions and blocks.
            (
                "a = 1; b = 2; if a == 1 { c = b; } return c;",
                vec![vec![], vec![], vec![0, 1], vec![2]],
            ),
            // Two returns write RETURN in order.
            ("return 1; return 2;", vec![vec![], vec![0]]),
        ];
        for (source, expected) in cases {
            assert_eq!(waits(source), expected, "{source}");
        }
    }

    #[test]
    fn steps_know_who_waits_for_them_and_what_they_use() {
        let plan = plan("w = query_bucket(\"w\"); a = flood(w); b = 1; return [a, b];");
        let before: Vec<Vec<usize>> = plan.steps.iter().map(|s| s.before.clone()).collect();
        assert_eq!(before, vec![vec![1], vec![3], vec![3], vec![]]);
        let first = &plan.steps[1];
        assert_eq!(first.takes, vec!["w".to_string()]);
        assert_eq!(first.writes, vec!["a".to_string(), "w".to_string()]);
        assert!(first.reads.contains(&"flood".to_string()));
    }
}
