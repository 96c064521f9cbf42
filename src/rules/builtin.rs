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
    ("gitlab.toml", include_str!("../../patterns/gitlab.toml")),
    (
        "atlassian.toml",
        include_str!("../../patterns/atlassian.toml"),
    ),
    ("chat.toml", include_str!("../../patterns/chat.toml")),
    (
        "registries.toml",
        include_str!("../../patterns/registries.toml"),
    ),
    ("twilio.toml", include_str!("../../patterns/twilio.toml")),
    ("mail.toml", include_str!("../../patterns/mail.toml")),
    (
        "payments.toml",
        include_str!("../../patterns/payments.toml"),
    ),
    (
        "identity.toml",
        include_str!("../../patterns/identity.toml"),
    ),
    (
        "observability.toml",
        include_str!("../../patterns/observability.toml"),
    ),
    (
        "productivity.toml",
        include_str!("../../patterns/productivity.toml"),
    ),
    ("ai.toml", include_str!("../../patterns/ai.toml")),
    ("edge.toml", include_str!("../../patterns/edge.toml")),
    (
        "cloud-hosts.toml",
        include_str!("../../patterns/cloud-hosts.toml"),
    ),
    ("infra.toml", include_str!("../../patterns/infra.toml")),
    ("data.toml", include_str!("../../patterns/data.toml")),
    (
        "kubernetes.toml",
        include_str!("../../patterns/kubernetes.toml"),
    ),
    ("jwt.toml", include_str!("../../patterns/jwt.toml")),
    ("generic.toml", include_str!("../../patterns/generic.toml")),
];
