//! The interpreter: runs a parsed program for one time period (QUERY.md §4).

use std::collections::{BTreeMap, HashMap};

use aw_models::TimeInterval;
use chrono::SecondsFormat;

use crate::ast::{BinOp, Expr, Program, Stmt};
use crate::datastore::QueryDatastore;
use crate::error::{QueryError, Result};
use crate::functions::{self, CallCtx};
use crate::parser::MAX_DEPTH;
use crate::value::DataType;

/// The flat variable environment of one run.
pub type Env = HashMap<String, DataType>;

/// Runs `program` in a fresh environment holding `TIMEINTERVAL` and the built-ins, and
/// returns the value bound to `RETURN`.
pub fn run(
    program: &Program,
    interval: &TimeInterval,
    datastore: &dyn QueryDatastore,
) -> Result<DataType> {
    let mut env = functions::environment();
    env.insert(
        "TIMEINTERVAL".to_string(),
        DataType::String(format_interval(interval)),
    );
    let mut interpreter = Interpreter { env, datastore };
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
}

impl Interpreter<'_> {
    fn exec_block(&mut self, stmts: &[Stmt]) -> Result<()> {
        for stmt in stmts {
            self.exec(stmt)?;
        }
        Ok(())
    }

    fn exec(&mut self, stmt: &Stmt) -> Result<()> {
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
                let values = items
                    .iter()
                    .map(|item| self.eval_nested(item))
                    .collect::<Result<Vec<_>>>()?;
                Ok(DataType::List(values))
            }
            Expr::Dict(entries) => {
                let mut map = BTreeMap::new();
                for (key, value) in entries {
                    map.insert(key.clone(), self.eval_nested(value)?);
                }
                Ok(DataType::Dict(map))
            }
            Expr::Call { name, args } => self.call(name, args),
            Expr::Chain { first, rest } => {
                let mut acc = self.eval(first)?;
                for (op, operand) in rest {
                    let rhs = self.eval(operand)?;
                    acc = apply(*op, acc, rhs)?;
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

    fn call(&mut self, name: &str, args: &[Expr]) -> Result<DataType> {
        let values = args
            .iter()
            .map(|arg| self.eval(arg))
            .collect::<Result<Vec<_>>>()?;
        let builtin = match self.env.get(name) {
            None => return Err(QueryError::VariableNotDefined(name.to_string())),
            Some(DataType::Function(builtin)) => *builtin,
            Some(_) => return Err(QueryError::InvalidType(name.to_string())),
        };
        let mut ctx = CallCtx {
            env: &self.env,
            datastore: self.datastore,
        };
        functions::call(builtin, values, &mut ctx)
    }
}

/// One binary operator on two evaluated operands (§4.4, §4.5).
fn apply(op: BinOp, lhs: DataType, rhs: DataType) -> Result<DataType> {
    use DataType::{List, Number, String};
    let invalid = |text: &str| Err(QueryError::InvalidType(text.to_string()));
    match op {
        BinOp::Equal => lhs.top_eq(&rhs).map(DataType::Bool),
        BinOp::Add => match (lhs, rhs) {
            (Number(a), Number(b)) => Ok(Number(a + b)),
            (List(mut a), List(b)) => {
                a.extend(b);
                Ok(List(a))
            }
            (String(a), String(b)) => Ok(String(a + &b)),
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
