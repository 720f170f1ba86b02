//! The interpreter: runs one top-level statement of a program for one time period
//! (docs/QUERY.md §4) in the environment module `schedule` hands it.
//!
//! Every value computed carries an upper bound of its [`DataType::approx_bytes`]
//! (module `budget`), kept with each variable's binding. What must stay
//! true: a bound is never below the value's measure, and a limit is only ever
//! decided on a bound that fits it or on an exact measure, so the budget's decisions
//! and error texts are those of measuring every value exactly.

use std::collections::{BTreeMap, HashMap};

use crate::ast::{Expr, Stmt};
use crate::budget::Budget;
use crate::datastore::QueryDatastore;
use crate::env::{Binding, Env};
use crate::error::{QueryError, Result};
use crate::functions::{self, CallCtx, Input};
use crate::operators::{apply, SLOT};
use crate::parser::MAX_DEPTH;
use crate::value::DataType;

/// Runs one top-level statement in `env`, which holds every binding it may use, and
/// gives back the environment it leaves.
pub(crate) fn exec_statement(
    stmt: &Stmt,
    env: Env,
    datastore: &dyn QueryDatastore,
    budget: &Budget,
) -> Result<Env> {
    let mut interpreter = Interpreter {
        env,
        datastore,
        budget,
    };
    interpreter.exec(stmt)?;
    Ok(interpreter.env)
}

struct Interpreter<'a> {
    env: Env,
    datastore: &'a dyn QueryDatastore,
    budget: &'a Budget,
}

impl Interpreter<'_> {
    fn exec_block(&mut self, stmts: &[Stmt]) -> Result<()> {
        for stmt in stmts {
            self.exec(stmt)?;
        }
        Ok(())
    }

    fn exec(&mut self, stmt: &Stmt) -> Result<()> {
        self.budget.check_time()?;
        match stmt {
            Stmt::Simple {
                target,
                value,
                is_return,
            } => {
                let (value, bound) = self.eval(value)?;
                let (result, bound) = match target {
                    Some(name) => {
                        self.bind(name.clone(), value, bound);
                        (DataType::None, SLOT)
                    }
                    None => (value, bound),
                };
                if *is_return {
                    self.bind("RETURN".to_string(), result, bound);
                }
                Ok(())
            }
            Stmt::If { branches } => {
                for (cond, body) in branches {
                    let (cond, _) = self.eval(cond)?;
                    if cond.top_eq(&DataType::Bool(true))? {
                        return self.exec_block(body);
                    }
                }
                Ok(())
            }
        }
    }

    fn bind(&mut self, name: String, value: DataType, bound: usize) {
        self.env.insert(name, Binding::new(value, bound));
    }

    /// The value of `expr` and an upper bound of its size.
    fn eval(&mut self, expr: &Expr) -> Result<(DataType, usize)> {
        match expr {
            Expr::Number(value) => Ok((DataType::Number(*value), SLOT)),
            Expr::Bool(value) => Ok((DataType::Bool(*value), SLOT)),
            Expr::String(value) => Ok((
                DataType::String(value.clone()),
                SLOT.saturating_add(value.len()),
            )),
            Expr::Var { name, last_use } => {
                let binding = if *last_use {
                    self.env.remove(name)
                } else {
                    self.env.get(name).cloned()
                };
                let binding =
                    binding.ok_or_else(|| QueryError::VariableNotDefined(name.clone()))?;
                let bound = binding.bound;
                Ok((binding.into_value(), bound))
            }
            Expr::List(items) => {
                let mut size = LiteralSize::new();
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    let (value, bound) = self.eval_nested(item)?;
                    values.push(value);
                    size.add(bound, self.budget, &values, DataType::approx_bytes)?;
                }
                Ok((DataType::List(values), size.total))
            }
            Expr::Dict(entries) => {
                // Entries are kept until the end so that all can be measured should the
                // bounds cross the limit (a repeated key counts every time, the last wins).
                let mut values = Vec::with_capacity(entries.len());
                let mut size = LiteralSize::new();
                for (key, value) in entries {
                    let (value, bound) = self.eval_nested(value)?;
                    values.push((key, value));
                    let entry_bound = key.len().saturating_add(bound);
                    size.add(entry_bound, self.budget, &values, |(key, value)| {
                        key.len().saturating_add(value.approx_bytes())
                    })?;
                }
                let mut map = BTreeMap::new();
                for (key, value) in values {
                    map.insert(key.clone(), value);
                }
                // A dict measures one more slot than the literal's running size.
                Ok((DataType::Dict(map), size.total.saturating_add(SLOT)))
            }
            Expr::Call { name, args } => {
                let result = self.call(name, args)?;
                self.budget.check_time()?;
                Ok(result)
            }
            Expr::Chain { first, rest } => {
                let mut acc = self.eval(first)?;
                for (op, operand) in rest {
                    let rhs = self.eval(operand)?;
                    self.budget.check_time()?;
                    acc = apply(*op, acc, rhs, self.budget)?;
                }
                Ok(acc)
            }
        }
    }

    /// Evaluates an element of a list or dict literal, refusing values that would nest
    /// deeper than [`MAX_DEPTH`] (`x = [x];` repeated would otherwise grow without bound).
    fn eval_nested(&mut self, expr: &Expr) -> Result<(DataType, usize)> {
        let (value, bound) = self.eval(expr)?;
        if value.depth() + 1 >= MAX_DEPTH {
            return Err(QueryError::NestingTooDeep(MAX_DEPTH));
        }
        Ok((value, bound))
    }

    /// Evaluates the arguments left to right, then looks the callee up. A variable
    /// argument that is not its binding's last use, and whose name no other argument
    /// of this call mentions, is not copied: it is checked to exist here and borrowed
    /// from the environment after the other arguments ran (they can only remove their
    /// own last-use bindings, never this one). Parameters that only read events use
    /// the borrow directly; others copy it, as a plain read would.
    ///
    /// Calls built-in `name`; returns its result and an upper bound of the result's
    /// size. A result that may outgrow the arguments is checked against the value
    /// limit, measured only when its bound does not fit.
    fn call(&mut self, name: &str, args: &[Expr]) -> Result<(DataType, usize)> {
        let mentions = mention_counts(args);
        let mut values = Vec::with_capacity(args.len());
        let mut arg_bounds = Vec::with_capacity(args.len());
        for arg in args {
            match borrowable(arg, &mentions) {
                Some(var) if self.env.contains_key(var) => values.push(Pending::Borrow(var)),
                Some(var) => return Err(QueryError::VariableNotDefined(var.to_string())),
                None => {
                    let (value, bound) = self.eval(arg)?;
                    values.push(Pending::Value(value));
                    arg_bounds.push(Some(bound));
                    continue;
                }
            }
            // Looked up once the other arguments ran, as the value is.
            arg_bounds.push(None);
        }
        let builtin = match self.env.get(name).map(|binding| &*binding.value) {
            None => return Err(QueryError::VariableNotDefined(name.to_string())),
            Some(DataType::Function(builtin)) => *builtin,
            Some(_) => return Err(QueryError::InvalidType(name.to_string())),
        };
        let env = &self.env;
        let mut arg_sizes = Vec::with_capacity(values.len());
        let inputs = values
            .into_iter()
            .zip(arg_bounds)
            .map(|(pending, bound)| match pending {
                Pending::Value(value) => {
                    arg_sizes.push(bound.unwrap_or_else(|| value.approx_bytes()));
                    Ok(Input::Owned(value))
                }
                Pending::Borrow(var) => {
                    let binding = env
                        .get(var)
                        .ok_or_else(|| QueryError::VariableNotDefined(var.to_string()))?;
                    arg_sizes.push(binding.bound);
                    Ok(Input::Borrowed(&binding.value))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let largest_arg = arg_sizes.iter().copied().max();
        let mut ctx = CallCtx {
            env,
            datastore: self.datastore,
            budget: self.budget,
            arg_bounds: &arg_sizes,
            bound: None,
        };
        let value = functions::call(builtin, inputs, &mut ctx)?;
        let bound = if builtin.may_grow {
            ctx.bound
        } else {
            largest_arg
        };
        let bound = match bound {
            Some(bound) if self.budget.value_fits(bound) => bound,
            _ => {
                // No bound, or one too loose to decide: measure, as every result once was.
                let exact = value.approx_bytes();
                if builtin.may_grow {
                    self.budget.check_value(exact)?;
                }
                exact
            }
        };
        // Debug builds (all tests) check every bound against the measure: a built-in
        // whose bound is too small is a bug, reported without panicking.
        #[cfg(debug_assertions)]
        if value.approx_bytes() > bound {
            return Err(QueryError::InvalidFunctionParameters(format!(
                "internal error: the size bound of {name}'s result is below its measure"
            )));
        }
        Ok((value, bound))
    }
}

/// The running size of a list or dict literal, checked after each entry as measuring
/// every entry would: the sum of the entries' bounds while that fits the value limit,
/// then the exact measure of the entries so far, and from there on exact.
struct LiteralSize {
    total: usize,
    exact: bool,
}

impl LiteralSize {
    fn new() -> LiteralSize {
        LiteralSize {
            total: SLOT,
            exact: false,
        }
    }

    /// Adds the last of `entries`, whose size is at most `bound`; `measure` gives an
    /// entry's exact size.
    fn add<T>(
        &mut self,
        bound: usize,
        budget: &Budget,
        entries: &[T],
        measure: impl Fn(&T) -> usize,
    ) -> Result<()> {
        if !self.exact {
            let total = self.total.saturating_add(bound);
            if budget.value_fits(total) {
                self.total = total;
                return Ok(());
            }
            self.exact = true;
            self.total = entries
                .iter()
                .map(&measure)
                .fold(SLOT, usize::saturating_add);
        } else if let Some(last) = entries.last() {
            self.total = self.total.saturating_add(measure(last));
        }
        budget.check_value(self.total)
    }
}

/// An evaluated argument, or a variable to borrow once all arguments ran.
enum Pending<'e> {
    Value(DataType),
    Borrow(&'e str),
}

/// The variable name of `arg` if it can be borrowed (see `Interpreter::call`).
fn borrowable<'e>(arg: &'e Expr, mentions: &HashMap<&str, usize>) -> Option<&'e str> {
    match arg {
        Expr::Var {
            name,
            last_use: false,
        } if mentions.get(name.as_str()) == Some(&1) => Some(name.as_str()),
        _ => None,
    }
}

/// For each name read in the arguments, how many of the arguments read it.
fn mention_counts(args: &[Expr]) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    let mut names = Vec::new();
    for arg in args {
        names.clear();
        collect_names(arg, &mut names);
        names.sort_unstable();
        names.dedup();
        for name in &names {
            *counts.entry(*name).or_insert(0) += 1;
        }
    }
    counts
}

/// Every variable or callee name `expr` reads.
fn collect_names<'e>(expr: &'e Expr, names: &mut Vec<&'e str>) {
    match expr {
        Expr::Number(_) | Expr::Bool(_) | Expr::String(_) => {}
        Expr::Var { name, .. } => names.push(name),
        Expr::List(items) => items.iter().for_each(|item| collect_names(item, names)),
        Expr::Dict(entries) => entries
            .iter()
            .for_each(|(_, value)| collect_names(value, names)),
        Expr::Call { name, args } => {
            names.push(name);
            args.iter().for_each(|arg| collect_names(arg, names));
        }
        Expr::Chain { first, rest } => {
            collect_names(first, names);
            rest.iter()
                .for_each(|(_, operand)| collect_names(operand, names));
        }
    }
}
