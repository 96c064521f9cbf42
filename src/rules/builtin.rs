//! The rule files shipped inside the binary.
//!
//! One file per provider under `patterns/`; adding a file here is the only
//! step needed to ship it.

/// `(file name, TOML text)` of every built-in rule file.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("aws.toml", include_str!("../../patterns/aws.toml")),
    ("gcp.toml", include_str!("../../patterns/gcp.toml")),
    ("azure.toml", include_str!("../../patterns/azure.toml")),
    (
        "private-keys.toml",
        include_str!("../../patterns/private-keys.toml"),
    ),
    ("github.toml", include_str!("../../patterns/github.toml")),
    ("jwt.toml", include_str!("../../patterns/jwt.toml")),
    ("generic.toml", include_str!("../../patterns/generic.toml")),
];
