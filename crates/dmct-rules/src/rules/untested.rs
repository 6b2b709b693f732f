//! The statements dmct does not check: not observable on the wire, or retired (kept so
//! old baselines and deviations still resolve). Each says why.

use crate::{Binds, Decl, Level, Rule, RuleStatus};

/// In catalog order.
pub static UNTESTED: &[Decl] = &[
    Decl {
        id: "auth/md5-locname",
        status: RuleStatus::Deprecated,
        clause: "[REP] §6.1.9",
        unconfirmed: None,
        level: Level::Must,
        binds: Binds::Client,
        summary: "With MD5 credentials the client names its user in the SyncHdr's Source LocName.",
        allowed: &[],
        conditions: &[],
        capability: None,
        scenarios: &[],
        reason: Some(
            "The text is descriptive: [REP] §6.1.9 restricts LocName to being \"Used for sending \
                userid for MD5 authentication\", with no requirement keyword, and the §9.4.2 \
                example shows it; nothing makes it a MUST, so a check that failed an MD5 client \
                without LocName failed behaviour the text allows. The one requirement tied to \
                LocName, that the HMAC header's username equals it ([SEC] §5.4.3), is judged by \
                auth/hmac-header.",
        ),
        replaced_by: Some(|| super::auth::HmacHeaderForm.id()),
    },
    Decl {
        id: "auth/failure-same-code",
        status: RuleStatus::Deprecated,
        clause: "[PRO] §9.1 (first bullet)",
        unconfirmed: None,
        level: Level::Must,
        binds: Binds::Server,
        summary: "In a response reporting an authentication failure, every command of the refused \
            message gets a Status with the same code as the SyncHdr's.",
        allowed: &[],
        conditions: &[],
        capability: None,
        scenarios: &[],
        reason: Some(
            "The text asks for a Status for every command of the refused request ([PRO] §9.1: \"A \
                Status command MUST be provided for every command received in the request\") and \
                names no code for them, so a check that demands the SyncHdr's code fails what the \
                text allows. The Status for every command is judged by the rule that replaces it.",
        ),
        replaced_by: Some(|| super::status::EveryCommand.id()),
    },
    Decl {
        id: "auth/server-credentials",
        status: RuleStatus::Deprecated,
        clause: "[SEC] §5.3; [PRO] §8.4 item 1, §9",
        unconfirmed: None,
        level: Level::Should,
        binds: Binds::Server,
        summary: "A server that sends management commands in answer to Package #1 presents its \
            credentials (Cred or x-syncml-hmac).",
        allowed: &[],
        conditions: &[],
        capability: None,
        scenarios: &[],
        reason: Some(
            "Overstated: the server's credentials in Package #2 are a MAY ([PRO] §8.4 item 1: \
                \"Cred element MAY be included ... Server is always authenticated to the device \
                but this authentication MAY be accomplished at the transport level\"), and the \
                mutual authentication [SEC] §5.3 requires may come from either side challenging \
                the other ([PRO] §9.1: \"both the client and the server can challenge\"). A \
                server that waits for the client's challenge conforms; how it answers one is \
                judged by auth/server-answers-scheme. Which layer authenticated each side (none, \
                TLS, DM) is shown for every case in the report's authentication line.",
        ),
        replaced_by: Some(|| super::auth::ServerAnswersScheme.id()),
    },
    Decl {
        id: "auth/secret-strength",
        status: RuleStatus::Untestable,
        clause: "[SEC] §5.3.3",
        unconfirmed: None,
        level: Level::Should,
        binds: Binds::Both,
        summary: "Passwords and nonces are at least 128 bits long.",
        allowed: &[],
        conditions: &[],
        capability: None,
        scenarios: &[],
        reason: Some(
            "The secret never crosses the wire, and a nonce's randomness cannot be judged from a \
                few samples.",
        ),
        replaced_by: None,
    },
    Decl {
        id: "auth/password-per-client",
        status: RuleStatus::Untestable,
        clause: "[SEC] §5.1",
        unconfirmed: None,
        level: Level::Must,
        binds: Binds::Server,
        summary: "The server uses a different password for every client it authenticates to.",
        allowed: &[],
        conditions: &[],
        capability: None,
        scenarios: &[],
        reason: Some(
            "One session shows one client only; comparing accounts across devices is outside a \
                transcript.",
        ),
        replaced_by: None,
    },
    Decl {
        id: "auth/secret-change-next-session",
        status: RuleStatus::Untestable,
        clause: "[SEC] §5.4.3",
        unconfirmed: None,
        level: Level::Must,
        binds: Binds::Both,
        summary: "A changed AAuthName or AAuthSecret takes effect from the next session (the text \
            states it as a fact, \"will only be used\", with no keyword; listed at MUST as dmct \
            reads it, and never judged).",
        allowed: &[],
        conditions: &[],
        capability: None,
        scenarios: &[],
        reason: Some(
            "Needs two sessions and knowledge of the secrets; not visible in one transcript.",
        ),
        replaced_by: None,
    },
    Decl {
        id: "session/any-order",
        status: RuleStatus::Untestable,
        clause: "[PRO] §8 (intro)",
        unconfirmed: None,
        level: Level::May,
        binds: Binds::Client,
        summary: "Commands outside Atomic and Sequence may run in any order.",
        allowed: &[],
        conditions: &[],
        capability: None,
        scenarios: &[],
        reason: Some("Execution order inside the device is not on the wire."),
        replaced_by: None,
    },
    Decl {
        id: "http/tls-versions",
        status: RuleStatus::Untestable,
        clause: "[SEC] §5.5.1.1",
        unconfirmed: None,
        level: Level::Must,
        binds: Binds::Server,
        summary: "The server supports TLS 1.0 and SSL 3.0 with the listed cipher suites.",
        allowed: &[],
        conditions: &[],
        capability: None,
        scenarios: &[],
        reason: Some(
            "Dated (modern TLS stacks refuse these versions); a handshake property, not a DM \
                message. dmct reports the TLS used informationally.",
        ),
        replaced_by: None,
    },
];
