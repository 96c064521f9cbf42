//! Every built-in rule compiles, has examples, and its examples and
//! negative examples behave as stated.

use keyhound::detect::{examples, Detector};
use keyhound::rules;

#[test]
fn every_builtin_rule_compiles_and_passes_its_examples() {
    let set = rules::builtin().expect("builtin rules load");
    assert!(set.len() >= 150, "only {} builtin rules", set.len());
    let detector = Detector::new(&set).expect("detector builds");
    let errors = detector.compile_all();
    assert!(errors.is_empty(), "regexes that do not compile: {errors:?}");
    for rule in set.rules() {
        assert!(!rule.examples.is_empty(), "{} has no examples", rule.id);
        assert!(
            !rule.negative_examples.is_empty(),
            "{} has no negative examples",
            rule.id
        );
    }
    let failures = examples::check(&detector, |_| true);
    let listed: Vec<String> = failures.iter().map(ToString::to_string).collect();
    assert!(failures.is_empty(), "{}", listed.join("\n"));
}

#[test]
fn builtin_ids_are_unique_across_files() {
    let mut seen = std::collections::HashMap::new();
    for (file, text) in rules::BUILTIN_FILES {
        let parsed = rules::parse_rules(text, file, rules::Compile::Lazily).expect("parses");
        for r in parsed {
            if let Some(other) = seen.insert(r.id.clone(), *file) {
                panic!("rule {} defined in {other} and {file}", r.id);
            }
        }
    }
}

#[test]
fn docs_list_every_builtin_rule() {
    let set = rules::builtin().expect("builtin rules load");
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md"))
        .expect("docs/rules.md");
    let missing: Vec<&str> = set
        .rules()
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !docs.contains(&format!("| `{id}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/rules.md does not list {missing:?}"
    );
    let providers: std::collections::BTreeSet<&str> =
        set.rules().iter().map(|r| r.provider.as_str()).collect();
    let count = format!("{} rules from {} providers", set.len(), providers.len());
    assert!(
        docs.contains(&count),
        "docs/rules.md does not say {count:?}"
    );
}
