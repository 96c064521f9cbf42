//! Every built-in rule compiles, has examples, and its examples and
//! negative examples behave as stated.

use keyhound::detect::{examples, Detector};
use keyhound::rules;

#[test]
fn every_builtin_rule_compiles_and_passes_its_examples() {
    let set = rules::builtin().expect("builtin rules load");
    assert!(set.len() >= 30, "only {} builtin rules", set.len());
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
