//! How a long operation reports as it goes: a line per step or change of
//! state, and — for a printer that redraws in place — the whole state of a
//! `--wait` after each poll.

use std::time::Duration;

/// Where an operation's progress goes. Any `Fn(&str)` is one (lines only).
pub trait Progress: Sync {
    /// One line: a step done, an object's state changed.
    fn line(&self, line: &str);

    /// Whether this printer shows [`Progress::waiting`] boards; then a wait
    /// sends no line per change of state.
    fn live(&self) -> bool {
        false
    }

    /// The state of a wait after each poll, and once more when it ends
    /// (`done`); only called when [`Progress::live`].
    fn waiting(&self, _board: &WaitBoard) {}
}

impl<F: Fn(&str) + Sync> Progress for F {
    fn line(&self, line: &str) {
        self(line)
    }
}

/// The state of a wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitBoard {
    pub ready: usize,
    pub total: usize,
    pub elapsed: Duration,
    pub timeout: Duration,
    /// Objects not ready yet, `kind/name` and why, the longest unchanged first.
    pub slowest: Vec<(String, String)>,
    /// The wait is over (all ready, or it gave up).
    pub done: bool,
}

impl WaitBoard {
    /// The board as lines of at most `width` characters: a head line, then
    /// the slowest objects and why. Done: one summary line.
    pub fn lines(&self, width: usize) -> Vec<String> {
        let secs = |d: Duration| d.as_secs();
        let head = if self.done {
            format!(
                "waited {}s: {}/{} objects ready",
                secs(self.elapsed),
                self.ready,
                self.total
            )
        } else {
            format!(
                "waiting {}s/{}s: {}/{} objects ready",
                secs(self.elapsed),
                secs(self.timeout),
                self.ready,
                self.total
            )
        };
        let mut lines = vec![head];
        if !self.done {
            let name_width = self.slowest.iter().map(|(o, _)| o.len()).max().unwrap_or(0);
            lines.extend(
                self.slowest
                    .iter()
                    .map(|(object, why)| format!("  {object:<name_width$}  {why}")),
            );
            let more = (self.total - self.ready).saturating_sub(self.slowest.len());
            if more > 0 {
                lines.push(format!("  ... and {more} more"));
            }
        }
        lines.into_iter().map(|l| truncate(l, width)).collect()
    }
}

fn truncate(line: String, width: usize) -> String {
    if line.chars().count() <= width {
        return line;
    }
    let mut cut: String = line.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(done: bool) -> WaitBoard {
        WaitBoard {
            ready: 9,
            total: 12,
            elapsed: Duration::from_millis(12_400),
            timeout: Duration::from_secs(300),
            slowest: vec![
                (
                    "deployment/iris-model-server-stable".into(),
                    "2/3 updated replicas available".into(),
                ),
                ("job/train".into(), "0/1 completions".into()),
            ],
            done,
        }
    }

    #[test]
    fn a_board_names_the_slowest_objects_and_how_many_more() {
        assert_eq!(
            board(false).lines(200),
            [
                "waiting 12s/300s: 9/12 objects ready",
                "  deployment/iris-model-server-stable  2/3 updated replicas available",
                "  job/train                            0/1 completions",
                "  ... and 1 more",
            ]
        );
        assert_eq!(board(true).lines(200), ["waited 12s: 9/12 objects ready"]);
    }

    #[test]
    fn board_lines_fit_the_terminal() {
        let lines = board(false).lines(30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert_eq!(lines[1], "  deployment/iris-model-serve…");
    }
}
