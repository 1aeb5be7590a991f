//! serde-saphyr's messages in ketch's words. Its default wording is written
//! for programmers ("use Option<String>", "set DuplicateKeyPolicy in
//! Options", "budget breached: Depth { depth: 129 }"); a user needs what is
//! wrong with the file and what to do. The parser still adds the line,
//! column and source snippet.

use std::borrow::Cow;

use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{DefaultMessageFormatter, Error, MessageFormatter};

/// What to say about an alias bomb, whichever limit it reached.
const TOO_MANY_ALIASES: &str = "anchors and aliases (`&name`, `*name`) here expand to more than \
     ketch reads (an alias bomb?); write the values out instead of repeating aliases";

pub(super) struct UserMessages;

impl MessageFormatter for UserMessages {
    fn format_message<'a>(&self, err: &'a Error) -> Cow<'a, str> {
        match err {
            Error::Budget { breach, .. } => Cow::Owned(budget(breach)),
            Error::AliasReplayCounterOverflow { .. }
            | Error::AliasReplayLimitExceeded { .. }
            | Error::AliasExpansionLimitExceeded { .. }
            | Error::AliasReplayStackDepthExceeded { .. } => Cow::Borrowed(TOO_MANY_ALIASES),
            Error::MultipleDocuments { .. } => Cow::Borrowed(
                "more than one YAML document (`---` starts another); this file holds one: \
                 remove the second `---` and what follows it, or move that to a file of its own",
            ),
            Error::NullIntoString { .. } | Error::InvalidCharNull { .. } => Cow::Borrowed(
                "this value is empty (null) but must be text; write a value, or remove the key",
            ),
            Error::DuplicateMappingKey { key: Some(key), .. } => Cow::Owned(format!(
                "key {key:?} appears twice in one mapping; keep one of them"
            )),
            Error::DuplicateMappingKey { key: None, .. } => {
                Cow::Borrowed("a key appears twice in one mapping; keep one of them")
            }
            Error::InvalidBooleanStrict { .. } => Cow::Borrowed("expected true or false"),
            Error::BinaryNotUtf8 { .. } => {
                Cow::Borrowed("this !!binary value is not UTF-8 text, but text is expected here")
            }
            Error::CannotBorrowTransformedString { .. } => {
                Cow::Borrowed("this value cannot be read as text")
            }
            _ => DefaultMessageFormatter.format_message(err),
        }
    }
}

fn budget(breach: &BudgetBreach) -> String {
    match breach {
        BudgetBreach::Depth { .. } => format!(
            "the YAML nests more than {} levels deep, more than ketch reads; flatten it",
            super::MAX_DEPTH
        ),
        BudgetBreach::Documents { documents } => format!(
            "more than {} YAML documents ({documents} so far), more than ketch reads in one file; \
             split it",
            documents.saturating_sub(1)
        ),
        BudgetBreach::Nodes { nodes } => format!(
            "more than {} values (mappings, lists and scalars), more than ketch reads in one \
             file; split it or leave out what is not needed",
            nodes.saturating_sub(1)
        ),
        BudgetBreach::Aliases { .. }
        | BudgetBreach::Anchors { .. }
        | BudgetBreach::AliasAnchorRatio { .. }
        | BudgetBreach::MergeKeys { .. }
        | BudgetBreach::RecordedAnchorEvents { .. }
        | BudgetBreach::RecordedAnchorBytes { .. } => TOO_MANY_ALIASES.to_string(),
        BudgetBreach::SequenceUnbalanced => {
            "a list or mapping ends that never started; the file is cut off or broken".to_string()
        }
        _ => "the YAML is larger or more complex than ketch reads in one file; split it or \
              leave out what is not needed"
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// What a user sees for `text`, and that it is in ketch's words.
    fn message<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str) -> String {
        let shown = match super::super::parse_all::<T>(text, "values.yaml") {
            Ok(v) => panic!("{text:?} parsed: {v:?}"),
            Err(e) => e.to_string(),
        };
        assert!(shown.starts_with("values.yaml: "), "{shown}");
        for programmer in [
            "budget",
            "Option<",
            "Options",
            "from_str_multiple",
            "{ ",
            "strict mode",
        ] {
            assert!(!shown.contains(programmer), "{shown}");
        }
        shown
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Named {
        name: String,
    }

    #[test]
    fn parser_messages_are_for_users() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(message::<Value>(&deep).contains("levels deep"));

        // Billion laughs: each level repeats the one before ten times.
        let mut bomb = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..9 {
            let before = format!("*l{}", level - 1);
            let items = [before.as_str(); 10].join(", ");
            bomb.push_str(&format!("l{level}: &l{level} [{items}]\n"));
        }
        assert!(message::<Value>(&bomb).contains("alias bomb"), "{bomb}");

        assert!(message::<Named>("name:\n").contains("empty (null) but must be text"));
        assert!(message::<Value>("a: 1\na: 2\n").contains("key \"a\" appears twice"));
        let two = super::super::parse::<Value>("a: 1\n---\nb: 2\n", "values.yaml")
            .unwrap_err()
            .to_string();
        assert!(two.contains("more than one YAML document"), "{two}");
        assert!(!two.contains("from_str_multiple"), "{two}");
    }
}
