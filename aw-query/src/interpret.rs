//! The interpreter: runs a parsed program for one time period (docs/QUERY.md §4).

use std::collections::{BTreeMap, HashMap};

use aw_models::TimeInterval;
use chrono::SecondsFormat;

use crate::ast::{BinOp, Expr, Program, Stmt};
use crate::budget::Budget;
use crate::datastore::QueryDatastore;
use crate::error::{QueryError, Result};
use crate::functions::{self, CallCtx, Input};
use crate::parser::MAX_DEPTH;
use crate::transform::memo::MeasureMemo;
use crate::value::DataType;

/// The flat variable environment of one run.
pub type Env = HashMap<String, DataType>;

/// Runs `program` in a fresh environment holding `TIMEINTERVAL` and the built-ins, and
/// returns the value bound to `RETURN`.
pub fn run(
    program: &Program,
    interval: &TimeInterval,
    datastore: &dyn QueryDatastore,
    budget: &Budget,
) -> Result<DataType> {
    let mut env = functions::environment();
    env.insert(
        "TIMEINTERVAL".to_string(),
        DataType::String(format_interval(interval)),
    );
    let mut interpreter = Interpreter {
        env,
        datastore,
        budget,
    };
    interpreter.exec_block(&program.stmts)?;
    interpreter
        .env
        .remove("RETURN")
        .ok_or(QueryError::EmptyQuery)
}

/// `<start>/<end>` in UTC with `+00:00` and 0/3/6/9 fraction digits (§4.1).
fn format_interval(interval: &TimeInterval) -> String {
    format!(
        "{}/{}",
        interval
            .start()
            .to_rfc3339_opts(SecondsFormat::AutoSi, false),
        interval.end().to_rfc3339_opts(SecondsFormat::AutoSi, false)
    )
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
                let value = self.eval(value)?;
                let result = match target {
                    Some(name) => {
                        self.env.insert(name.clone(), value);
                        DataType::None
                    }
                    None => value,
                };
                if *is_return {
                    self.env.insert("RETURN".to_string(), result);
                }
                Ok(())
            }
            Stmt::If { branches } => {
                for (cond, body) in branches {
                    let cond = self.eval(cond)?;
                    if cond.top_eq(&DataType::Bool(true))? {
                        return self.exec_block(body);
                    }
                }
                Ok(())
            }
        }
    }

    fn eval(&mut self, expr: &Expr) -> Result<DataType> {
        match expr {
            Expr::Number(value) => Ok(DataType::Number(*value)),
            Expr::Bool(value) => Ok(DataType::Bool(*value)),
            Expr::String(value) => Ok(DataType::String(value.clone())),
            Expr::Var { name, last_use } => {
                let value = if *last_use {
                    self.env.remove(name)
                } else {
                    self.env.get(name).cloned()
                };
                value.ok_or_else(|| QueryError::VariableNotDefined(name.clone()))
            }
            Expr::List(items) => {
                let mut bytes = std::mem::size_of::<DataType>();
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    let value = self.eval_nested(item)?;
                    bytes = bytes.saturating_add(value.approx_bytes());
                    self.budget.check_value(bytes)?;
                    values.push(value);
                }
                Ok(DataType::List(values))
            }
            Expr::Dict(entries) => {
                let mut map = BTreeMap::new();
                let mut bytes = std::mem::size_of::<DataType>();
                for (key, value) in entries {
                    let value = self.eval_nested(value)?;
                    bytes = bytes.saturating_add(key.len().saturating_add(value.approx_bytes()));
                    self.budget.check_value(bytes)?;
                    map.insert(key.clone(), value);
                }
                Ok(DataType::Dict(map))
            }
            Expr::Call { name, args } => {
                let (value, may_grow) = self.call(name, args)?;
                self.budget.check_time()?;
                if may_grow {
                    self.budget.check_value(value.approx_bytes())?;
                }
                Ok(value)
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
    fn eval_nested(&mut self, expr: &Expr) -> Result<DataType> {
        let value = self.eval(expr)?;
        if value.depth() + 1 >= MAX_DEPTH {
            return Err(QueryError::NestingTooDeep(MAX_DEPTH));
        }
        Ok(value)
    }

    /// Evaluates the arguments left to right, then looks the callee up. A variable
    /// argument that is not its binding's last use, and whose name no other argument
    /// of this call mentions, is not copied: it is checked to exist here and borrowed
    /// from the environment after the other arguments ran (they can only remove their
    /// own last-use bindings, never this one). Parameters that only read events use
    /// the borrow directly; others copy it, as a plain read would.
    /// Calls built-in `name`; also says whether its result may outgrow its arguments.
    fn call(&mut self, name: &str, args: &[Expr]) -> Result<(DataType, bool)> {
        let mentions = mention_counts(args);
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            match borrowable(arg, &mentions) {
                Some(var) if self.env.contains_key(var) => values.push(Pending::Borrow(var)),
                Some(var) => return Err(QueryError::VariableNotDefined(var.to_string())),
                None => values.push(Pending::Value(self.eval(arg)?)),
            }
        }
        let builtin = match self.env.get(name) {
            None => return Err(QueryError::VariableNotDefined(name.to_string())),
            Some(DataType::Function(builtin)) => *builtin,
            Some(_) => return Err(QueryError::InvalidType(name.to_string())),
        };
        let env = &self.env;
        let inputs = values
            .into_iter()
            .map(|pending| match pending {
                Pending::Value(value) => Ok(Input::Owned(value)),
                Pending::Borrow(var) => env
                    .get(var)
                    .map(Input::Borrowed)
                    .ok_or_else(|| QueryError::VariableNotDefined(var.to_string())),
            })
            .collect::<Result<Vec<_>>>()?;
        let mut ctx = CallCtx {
            env,
            datastore: self.datastore,
        };
        Ok((
            functions::call(builtin, inputs, &mut ctx)?,
            builtin.may_grow,
        ))
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

/// One binary operator on two evaluated operands (§4.4, §4.5). A concatenation is
/// measured against the budget before it allocates.
fn apply(op: BinOp, lhs: DataType, rhs: DataType, budget: &Budget) -> Result<DataType> {
    use DataType::{List, Number, String};
    let invalid = |text: &str| Err(QueryError::InvalidType(text.to_string()));
    match op {
        BinOp::Equal => lhs.top_eq(&rhs).map(DataType::Bool),
        BinOp::Add => match (lhs, rhs) {
            (Number(a), Number(b)) => Ok(Number(a + b)),
            (List(mut a), List(b)) => {
                let mut memo = MeasureMemo::new();
                budget.check_value(
                    a.iter()
                        .chain(&b)
                        .map(|item| item.approx_bytes_with(&mut memo))
                        .fold(std::mem::size_of::<DataType>(), usize::saturating_add),
                )?;
                a.extend(b);
                Ok(List(a))
            }
            (String(a), String(b)) => {
                budget.check_value(a.len().saturating_add(b.len()))?;
                Ok(String(a + &b))
            }
            (Number(_), _) => {
                invalid("Cannot use + on something that is not a number with a number!")
            }
            (List(_) | String(_), _) => {
                invalid("Cannot use + on something that is not a list with a list!")
            }
            _ => invalid("Cannot use + on something that is not a number, list or string!"),
        },
        BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
            let (Number(a), Number(b)) = (lhs, rhs) else {
                return invalid("Cannot sub something that is not a number!");
            };
            match op {
                BinOp::Sub => Ok(Number(a - b)),
                BinOp::Mul => Ok(Number(a * b)),
                BinOp::Div if b == 0.0 => Err(QueryError::MathError(
                    "Tried to divide by zero!".to_string(),
                )),
                BinOp::Div => Ok(Number(a / b)),
                _ => Ok(Number(a % b)),
            }
        }
    }
}
