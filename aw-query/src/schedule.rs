//! Runs a program for one period: each top-level statement as soon as the statements
//! it waits for (module `plan`) are done, on up to [`Parallelism::threads`] threads.
//!
//! What must stay true: the answer, and which error wins, are those of running the
//! statements in order. Statements start lowest index first; after a statement fails
//! no later one starts, the earlier ones still run, and the lowest failed index's
//! error is the answer. A statement runs in an environment of only the bindings it
//! uses: those it merely reads are shared (`Arc`) with other readers, those it takes
//! or writes are its alone until it is done (the plan orders every other user of them
//! around it), and what it assigned or kept goes back into the program's environment.
//! A second thread is only started when two statements are ready and the inputs of
//! one of them measure [`Parallelism::min_bytes`]: small programs and short periods
//! run on the caller's thread alone (a day of aw-webui's query ran 10% slower spread,
//! a month 30% faster, a year 25% faster, on two cores).

use std::collections::BTreeSet;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, Scope};

use aw_models::TimeInterval;

use crate::ast::{Program, Stmt};
use crate::budget::Budget;
use crate::datastore::QueryDatastore;
use crate::env::{initial_env, Env};
use crate::error::{QueryError, Result};
use crate::interpret::exec_statement;
use crate::plan::{Plan, Step};
use crate::value::DataType;

/// How one period's statements may be spread over threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parallelism {
    /// Threads a period may use, the caller's included; 1 runs every statement on
    /// the caller's thread, in order.
    pub threads: usize,
    /// A statement is worth a thread of its own when the values it uses measure at
    /// least this many bytes ([`DataType::approx_bytes`]).
    pub min_bytes: usize,
}

impl Default for Parallelism {
    /// One thread per core; statements using a megabyte.
    fn default() -> Parallelism {
        // Asking is not free on Linux (cgroup files are read): once per process.
        static CORES: OnceLock<usize> = OnceLock::new();
        let cores = CORES.get_or_init(|| thread::available_parallelism().map_or(1, usize::from));
        Parallelism {
            threads: *cores,
            min_bytes: 1 << 20,
        }
    }
}

/// Runs `program` (planned as `plan`) for `interval`; returns the value of `RETURN`.
pub(crate) fn run(
    program: &Program,
    plan: &Plan,
    interval: &TimeInterval,
    datastore: &dyn QueryDatastore,
    budget: &Budget,
    parallelism: Parallelism,
) -> Result<DataType> {
    let run = Run {
        stmts: &program.stmts,
        plan,
        datastore,
        budget,
        parallelism,
        state: Mutex::new(State::new(plan, initial_env(interval))),
        wake: Condvar::new(),
    };
    if parallelism.threads > 1 {
        thread::scope(|scope| run.work(Some(scope)));
    } else {
        run.work(None);
    }
    let mut state = run
        .state
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some((_, err)) = state.failed {
        return Err(err);
    }
    state
        .env
        .remove("RETURN")
        .map(|binding| binding.into_value())
        .ok_or(QueryError::EmptyQuery)
}

/// One period's run, shared by the threads working on it.
struct Run<'a> {
    stmts: &'a [Stmt],
    plan: &'a Plan,
    datastore: &'a dyn QueryDatastore,
    budget: &'a Budget,
    parallelism: Parallelism,
    state: Mutex<State>,
    /// Signalled whenever a statement is done.
    wake: Condvar,
}

/// What the threads of a run share.
struct State {
    /// The program's environment, less the bindings running statements took.
    env: Env,
    /// For each statement, how many of those it waits for are not done.
    waiting: Vec<usize>,
    /// Statements not started whose waits are over.
    ready: BTreeSet<usize>,
    /// Statements started and not done.
    running: usize,
    /// Threads started besides the caller's.
    helpers: usize,
    /// The lowest failed statement and its error.
    failed: Option<(usize, QueryError)>,
}

impl Run<'_> {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs ready statements until none is left to run; the caller's thread (with
    /// `scope`) may start helpers.
    fn work<'scope>(&'scope self, scope: Option<&'scope Scope<'scope, '_>>) {
        let mut state = self.lock();
        loop {
            let Some((idx, step, stmt)) = self.next(&state) else {
                if state.running == 0 {
                    self.wake.notify_all();
                    return;
                }
                state = self
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            };
            state.ready.remove(&idx);
            state.running += 1;
            let env = state.inputs(step);
            if let Some(scope) = scope {
                if self.helper_wanted(&state, step) {
                    state.helpers += 1;
                    scope.spawn(|| self.work(None));
                }
            }
            drop(state);
            let outcome = exec_statement(stmt, env, self.datastore, self.budget);
            state = self.lock();
            let leftover = state.finish(idx, step, outcome);
            self.wake.notify_all();
            // Dropped unlocked: the last reference to a large value may go with it.
            drop(state);
            drop(leftover);
            state = self.lock();
        }
    }

    /// The lowest ready statement, unless a statement before it failed.
    fn next(&self, state: &State) -> Option<(usize, &Step, &Stmt)> {
        let idx = *state.ready.first()?;
        if state.failed.as_ref().is_some_and(|(at, _)| *at < idx) {
            return None;
        }
        Some((idx, self.plan.steps.get(idx)?, self.stmts.get(idx)?))
    }

    /// Whether to start another thread: one is allowed, another statement is ready,
    /// and the one starting or one of the next ready is worth it.
    fn helper_wanted(&self, state: &State, starting: &Step) -> bool {
        if state.helpers + 1 >= self.parallelism.threads || state.ready.is_empty() {
            return false;
        }
        let worth = |step: &Step| state.input_bytes(step) >= self.parallelism.min_bytes;
        worth(starting)
            || state
                .ready
                .iter()
                .take(8)
                .filter_map(|&idx| self.plan.steps.get(idx))
                .any(worth)
    }
}

impl State {
    fn new(plan: &Plan, env: Env) -> State {
        let waiting: Vec<usize> = plan.steps.iter().map(|step| step.after.len()).collect();
        let ready = (0..waiting.len())
            .filter(|&idx| waiting.get(idx) == Some(&0))
            .collect();
        State {
            env,
            waiting,
            ready,
            running: 0,
            helpers: 0,
            failed: None,
        }
    }

    /// The environment `step` runs in: what it reads, shared; what it takes, moved.
    fn inputs(&mut self, step: &Step) -> Env {
        let mut env = Env::with_capacity(step.reads.len() + step.takes.len());
        for name in &step.reads {
            if let Some(binding) = self.env.get(name) {
                env.insert(name.clone(), binding.clone());
            }
        }
        for name in &step.takes {
            if let Some(binding) = self.env.remove(name) {
                env.insert(name.clone(), binding);
            }
        }
        env
    }

    /// The summed size bounds of the bindings `step` uses.
    fn input_bytes(&self, step: &Step) -> usize {
        step.reads
            .iter()
            .chain(&step.takes)
            .filter_map(|name| self.env.get(name))
            .map(|binding| binding.bound)
            .fold(0, usize::saturating_add)
    }

    /// Records the end of statement `idx`: its bindings go back, the statements
    /// waiting for it may become ready. Returns what is left of its environment.
    fn finish(&mut self, idx: usize, step: &Step, outcome: Result<Env>) -> Option<Env> {
        self.running -= 1;
        let mut env = match outcome {
            Ok(env) => env,
            Err(err) => {
                if self.failed.as_ref().is_none_or(|(at, _)| idx < *at) {
                    self.failed = Some((idx, err));
                }
                return None;
            }
        };
        for name in &step.writes {
            if let Some(binding) = env.remove(name) {
                self.env.insert(name.clone(), binding);
            }
        }
        for &later in &step.before {
            if let Some(waiting) = self.waiting.get_mut(later) {
                *waiting -= 1;
                if *waiting == 0 {
                    self.ready.insert(later);
                }
            }
        }
        Some(env)
    }
}
