//! `concat`: lists of events joined in argument order.

use aw_models::SharedEvent;

/// Appends the lists in order, moving the events.
pub fn concat(lists: impl IntoIterator<Item = Vec<SharedEvent>>) -> Vec<SharedEvent> {
    let mut lists = lists.into_iter();
    let mut out = lists.next().unwrap_or_default();
    for mut list in lists {
        out.append(&mut list);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::{ev, spans};
    use serde_json::json;

    #[test]
    fn keeps_argument_order() {
        type Case = (Vec<Vec<SharedEvent>>, Vec<(f64, f64)>);
        let cases: Vec<Case> = vec![
            (vec![], vec![]),
            (vec![vec![], vec![]], vec![]),
            (
                vec![vec![ev(5.0, 1.0, json!({}))], vec![ev(1.0, 1.0, json!({}))]],
                vec![(5.0, 6.0), (1.0, 2.0)],
            ),
        ];
        for (lists, expected) in cases {
            assert_eq!(spans(&concat(lists)), expected);
        }
    }
}
