//! The syntax tree the parser builds and the interpreter walks.

/// A whole program: statements run in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// The top-level statements.
    pub stmts: Vec<Stmt>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `expr;`, `name = expr;`, `return …;`.
    Simple {
        /// `Some(name)` for an assignment.
        target: Option<String>,
        /// The right-hand side (or the whole expression).
        value: Expr,
        /// `return`: bind `RETURN` to the statement's value (None for an assignment).
        is_return: bool,
    },
    /// `if c { … } elif c { … } else { … }`; `else` is stored as a last `true` branch.
    If {
        /// Conditions with their blocks, tried in order.
        branches: Vec<(Expr, Vec<Stmt>)>,
    },
}

/// The six binary operators, all on one precedence level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `==`
    Equal,
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number literal.
    Number(f64),
    /// A bool literal.
    Bool(bool),
    /// A string literal.
    String(String),
    /// A variable read. `last_use` is set by [`crate::liveness`] when no later read can
    /// see the binding, so the value is moved out of the environment instead of copied.
    Var {
        /// The name.
        name: String,
        /// Move instead of copy.
        last_use: bool,
    },
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{"k": v}`, duplicate keys already resolved (the later entry wins).
    Dict(Vec<(String, Expr)>),
    /// `name(args)`
    Call {
        /// The callee, looked up after the arguments are evaluated.
        name: String,
        /// The arguments, evaluated left to right.
        args: Vec<Expr>,
    },
    /// `first op1 e1 op2 e2 …`, evaluated left to right as `((first op1 e1) op2 e2)`.
    /// Kept flat so a long chain does not nest.
    Chain {
        /// The leftmost operand.
        first: Box<Expr>,
        /// Each operator with its right operand.
        rest: Vec<(BinOp, Expr)>,
    },
}
