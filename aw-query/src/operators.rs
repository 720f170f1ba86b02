//! Binary operators on evaluated operands (docs/QUERY.md §4.4, §4.5), with the size
//! bounds the interpreter carries for every value (see `interpret`).
//!
//! What must stay true: a result's bound is never below its measure, and a
//! concatenation is checked against the budget before it allocates.

use crate::ast::BinOp;
use crate::budget::Budget;
use crate::error::{QueryError, Result};
use crate::transform::memo::MeasureMemo;
use crate::value::DataType;

/// The size of one value slot: the whole size of a number, bool, none or function.
pub(crate) const SLOT: usize = std::mem::size_of::<DataType>();

/// One binary operator on two evaluated operands and their size bounds (§4.4, §4.5);
/// returns the result and its bound. A concatenation is checked against the budget
/// before it allocates (measured only when the operands' bounds do not fit).
pub(crate) fn apply(
    op: BinOp,
    (lhs, lhs_bound): (DataType, usize),
    (rhs, rhs_bound): (DataType, usize),
    budget: &Budget,
) -> Result<(DataType, usize)> {
    use DataType::{List, Number, String};
    let invalid = |text: &str| Err(QueryError::InvalidType(text.to_string()));
    let scalar = |value: DataType| Ok((value, SLOT));
    match op {
        BinOp::Equal => lhs.top_eq(&rhs).map(DataType::Bool).and_then(scalar),
        BinOp::Add => match (lhs, rhs) {
            (Number(a), Number(b)) => scalar(Number(a + b)),
            (List(mut a), List(b)) => {
                let mut size = lhs_bound.saturating_add(rhs_bound);
                if !budget.value_fits(size) {
                    let mut memo = MeasureMemo::new();
                    size = a
                        .iter()
                        .chain(&b)
                        .map(|item| item.approx_bytes_with(&mut memo))
                        .fold(SLOT, usize::saturating_add);
                    budget.check_value(size)?;
                }
                a.extend(b);
                Ok((List(a), size))
            }
            (String(a), String(b)) => {
                let len = a.len().saturating_add(b.len());
                budget.check_value(len)?;
                Ok((String(a + &b), SLOT.saturating_add(len)))
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
                BinOp::Sub => scalar(Number(a - b)),
                BinOp::Mul => scalar(Number(a * b)),
                BinOp::Div if b == 0.0 => Err(QueryError::MathError(
                    "Tried to divide by zero!".to_string(),
                )),
                BinOp::Div => scalar(Number(a / b)),
                _ => scalar(Number(a % b)),
            }
        }
    }
}
