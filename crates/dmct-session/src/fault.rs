//! Named faults: each makes a reference engine break specific rules on purpose.
//!
//! A fault names the rules it breaks; `dmct selftest` runs every faulty peer in the
//! scenarios that expect it and requires each of those rules to fail (the catalog's
//! mutation score). Most faults are edits of an outgoing message (its SyncML, its HTTP
//! head), applied by the engine just before sending, once per session unless they must
//! hold for every message; a few change what the engine decides.

use dmct_proto::auth::{FORMAT_B64, HMAC_HEADER, Scheme};
use dmct_proto::media_type::MediaType;
use dmct_proto::transcript::Headers;
use dmct_proto::*;
// Rules are named by their types, so a fault cannot name a rule that does not exist.
use dmct_rules::{Rule, rules};

/// What a message edit may look at: the peer's message being answered.
#[derive(Debug, Clone, Copy, Default)]
pub struct MutCtx<'a> {
    pub peer: Option<&'a SyncML>,
}

/// Edits both engines can make to their outgoing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    VerDtd,
    VerProto,
    MsgIdRepeats,
    DuplicateCmdId,
    EmptySource,
    CredInCommand,
    SynchdrStatusLast,
    WrongMsgRef,
    WrongCmdRef,
    WrongStatusCmd,
    MissingStatus,
    StatusForStatus,
    StatusCodeText,
    ForeignElement,
}

impl Edit {
    /// The shared edit a fault of either peer stands for: both engines name it alike.
    fn for_fault(name: &str) -> Option<Edit> {
        Some(match name {
            "verdtd-1.1" => Edit::VerDtd,
            "verproto-1.1" => Edit::VerProto,
            "msgid-repeats" => Edit::MsgIdRepeats,
            "duplicate-cmdid" => Edit::DuplicateCmdId,
            "empty-source" => Edit::EmptySource,
            "cred-in-command" => Edit::CredInCommand,
            "synchdr-status-last" => Edit::SynchdrStatusLast,
            "wrong-msgref" => Edit::WrongMsgRef,
            "wrong-cmdref" => Edit::WrongCmdRef,
            "wrong-status-cmd" => Edit::WrongStatusCmd,
            "missing-status" => Edit::MissingStatus,
            "status-for-status" => Edit::StatusForStatus,
            "status-code-text" => Edit::StatusCodeText,
            "foreign-element" => Edit::ForeignElement,
            _ => return None,
        })
    }

    fn apply(self, m: &mut SyncML) -> bool {
        let cmds = &mut m.body.commands;
        let first_cmd_status = cmds
            .iter()
            .position(|c| matches!(c, Command::Status(s) if !s.is_for_synchdr()));
        match self {
            Edit::VerDtd => m.hdr.ver_dtd = "1.1".into(),
            Edit::VerProto => m.hdr.ver_proto = "DM/1.1".into(),
            Edit::MsgIdRepeats => match m.hdr.msg_id_number() {
                Some(n) if n > 1 => m.hdr.msg_id = (n - 1).to_string(),
                _ => return false,
            },
            Edit::DuplicateCmdId => {
                if cmds.len() < 2 {
                    return false;
                }
                let id = cmds[0].cmd_id().unwrap_or("1").to_owned();
                crate::build::set_cmd_id(&mut cmds[1], id);
            }
            Edit::EmptySource => m.hdr.source.loc_uri = Text::new(),
            // An extension element of the sender's own, where only SyncML's may stand.
            Edit::ForeignElement => m.hdr.extensions.push(
                dmct_proto::tree::Element::new("Extension")
                    .in_namespace("urn:x-dmct-fault")
                    .with_text("1"),
            ),
            Edit::CredInCommand => {
                let cred = Cred {
                    meta: Some(Meta {
                        r#type: Some(Scheme::Basic.meta_type().into()),
                        format: Some(FORMAT_B64.into()),
                        ..Default::default()
                    }),
                    data: "ZG1jdDpmYXVsdA==".into(),
                };
                let slot = cmds.iter_mut().find(|c| {
                    matches!(
                        c,
                        Command::Alert(_)
                            | Command::Add(_)
                            | Command::Replace(_)
                            | Command::Get(_)
                            | Command::Delete(_)
                    )
                });
                match slot {
                    Some(Command::Alert(a)) => a.cred = Some(Box::new(cred)),
                    Some(
                        Command::Add(x)
                        | Command::Replace(x)
                        | Command::Get(x)
                        | Command::Delete(x),
                    ) => x.extras.cred = Some(cred),
                    _ => return false,
                }
            }
            Edit::SynchdrStatusLast => {
                // Only where another Status follows: the rule orders Statuses.
                if !matches!(cmds.first(), Some(Command::Status(s)) if s.is_for_synchdr())
                    || !cmds.iter().skip(1).any(|c| matches!(c, Command::Status(_)))
                {
                    return false;
                }
                let s = cmds.remove(0);
                cmds.push(s);
            }
            Edit::WrongMsgRef => match cmds.iter_mut().find_map(|c| match c {
                Command::Status(s) if s.is_for_synchdr() => Some(s),
                _ => None,
            }) {
                Some(s) => s.msg_ref = "99".into(),
                None => return false,
            },
            Edit::WrongCmdRef | Edit::WrongStatusCmd | Edit::StatusCodeText => {
                let Some(Command::Status(s)) = first_cmd_status.map(|i| &mut cmds[i]) else {
                    return false;
                };
                match self {
                    Edit::WrongCmdRef => s.cmd_ref = "77".into(),
                    Edit::WrongStatusCmd => {
                        s.cmd = if s.cmd == "Exec" { "Copy" } else { "Exec" }.into()
                    }
                    _ => s.data = "OK".into(),
                }
            }
            Edit::MissingStatus => {
                let last = cmds
                    .iter()
                    .rposition(|c| {
                        matches!(c, Command::Status(s) if !s.is_for_synchdr() && s.cmd != "Results")
                    });
                match last {
                    Some(i) => {
                        cmds.remove(i);
                    }
                    None => return false,
                }
            }
            Edit::StatusForStatus => {
                let Some(msg_ref) = m.synchdr_status().map(|s| s.msg_ref.clone()) else {
                    return false;
                };
                // CmdRef 1 is the peer's SyncHdr Status unless this message answers it
                // with a Status (the Alert of a Package #1): a Status naming that one
                // "Status" would also misname it (`CmdName`), a second fault.
                if m.statuses()
                    .any(|s| s.msg_ref.trim() == msg_ref.trim() && s.cmd_ref.trim() == "1")
                {
                    return false;
                }
                m.body.commands.push(Command::status(Status {
                    msg_ref,
                    cmd_ref: "1".into(),
                    cmd: "Status".into(),
                    data: "200".into(),
                    ..Default::default()
                }));
                renumber(m);
            }
        }
        true
    }
}

/// CmdIDs 1.. again after a command was added.
fn renumber(m: &mut SyncML) {
    for (i, c) in m.body.commands.iter_mut().enumerate() {
        crate::build::set_cmd_id(c, (i + 1).to_string());
    }
}

macro_rules! faults {
    (
        $(#[$doc:meta])* $enum:ident {
            $(
                $(#[$vdoc:meta])* $variant:ident = $name:literal,
                breaks [$($rule:path),* $(,)?], $desc:literal;
            )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $enum {
            $($(#[$vdoc])* $variant,)*
        }

        impl $enum {
            pub const ALL: &'static [$enum] = &[$($enum::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $($enum::$variant => $name,)* }
            }

            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|f| f.name() == name)
            }

            /// Rule ids this fault must make fail.
            pub fn breaks(self) -> Vec<&'static str> {
                match self { $($enum::$variant => vec![$(Rule::id(&$rule),)*],)* }
            }

            pub fn describe(self) -> &'static str {
                match self { $($enum::$variant => $desc,)* }
            }
        }
    };
}

faults!(
    /// Faults of the reference client.
    ClientFault {
        SynchdrOnlyChallenge = "synchdr-only-challenge",
            breaks [rules::auth::NoSynchdrOnlyChallenge, rules::session::NoStatusOnlyPackage],
            "challenges a credential-less, command-less Package #2 with a SyncHdr-only Status";
        StatusOnlyReply = "status-only-reply", breaks [rules::session::NoStatusOnlyPackage],
            "sends a Status-only package after a package without operations";
        ReauthNewSession = "reauth-new-session",
            breaks [rules::session::ReauthContinues, rules::auth::Md5ClientSupport],
            "starts over in a new session with its old credentials when challenged during setup";
        AcceptsWrongServerCred = "accepts-wrong-server-cred",
            breaks [rules::probe::RefusesWrongServerCred],
            "accepts server credentials that do not verify with 212 and runs the server's commands";
        QuitsAfterChallenge = "quits-after-challenge",
            breaks [rules::session::ReauthContinues, rules::auth::Md5ClientSupport],
            "ends the session when challenged during setup, sending nothing more";
        ReauthWithoutSetup = "reauth-without-setup", breaks [rules::session::ReauthContinues],
            "re-authenticates without repeating Alert and DevInfo";
        ReauthWithoutCred = "reauth-without-cred",
            breaks [
                rules::auth::RepeatWithCred,
                rules::session::ReauthContinues,
                rules::auth::ClientAnswersScheme,
                rules::auth::Md5ClientSupport
            ],
            "repeats Package #1 after a challenge without credentials, once";
        ReauthSameScheme = "reauth-same-scheme",
            breaks [
                rules::session::ReauthContinues,
                rules::auth::ClientAnswersScheme,
                rules::auth::Md5ClientSupport
            ],
            "re-authenticates with its old scheme, not the one asked for";
        ReauthIgnoresRespUri = "reauth-ignores-respuri",
            breaks [rules::session::ReauthContinues, rules::pkg::RespUriFollowed],
            "re-authenticates to the old URL instead of RespURI";
        VerDtd = "verdtd-1.1", breaks [rules::msg::VerDtd], "writes VerDTD 1.1";
        VerProto = "verproto-1.1", breaks [rules::msg::VerProto], "writes VerProto DM/1.1";
        SessionIdChanges = "sessionid-changes", breaks [rules::msg::SessionIdConstant],
            "changes its SessionID in the middle of the session";
        MsgIdRepeats = "msgid-repeats", breaks [rules::msg::MsgIdSequence],
            "reuses the MsgID of its previous message";
        DuplicateCmdId = "duplicate-cmdid", breaks [rules::msg::CmdIdUnique],
            "gives two commands of a message the same CmdID";
        EmptySource = "empty-source", breaks [rules::msg::SourceTarget],
            "leaves the SyncHdr's Source LocURI empty";
        CredInCommand = "cred-in-command", breaks [rules::msg::NoCredInCommands],
            "puts a Cred inside a command";
        ForeignElement = "foreign-element", breaks [rules::msg::SyncmlNamespace],
            "puts an element of its own XML namespace in the SyncHdr";
        IgnoresMaxMsgSize = "ignores-max-msg-size", breaks [rules::msg::MaxMsgSize],
            "sends its package in one message whatever the server's MaxMsgSize";
        SynchdrStatusLast = "synchdr-status-last", breaks [rules::status::SynchdrFirst],
            "puts the Status for the server's SyncHdr last";
        WrongMsgRef = "wrong-msgref", breaks [rules::status::SynchdrMsgRef],
            "gives the SyncHdr Status a MsgRef of a message that does not exist";
        WrongCmdRef = "wrong-cmdref",
            breaks [rules::status::CmdRefValid, rules::status::EveryCommand],
            "answers a command with a Status whose CmdRef names no command";
        WrongStatusCmd = "wrong-status-cmd", breaks [rules::status::CmdName],
            "names the wrong command in a Status's Cmd";
        MissingStatus = "missing-status", breaks [rules::status::EveryCommand],
            "leaves a command without a Status";
        StatusForStatus = "status-for-status", breaks [rules::status::NotForStatus],
            "answers a Status with a Status";
        StatusCodeText = "status-code-text", breaks [rules::status::CodeValid],
            "writes a Status code as the text OK";
        ResultsForReplace = "results-for-replace",
            breaks [rules::status::ResultsForGet, rules::status::GetHasResults],
            "points the Results of a Get at a Replace";
        ResultsWithoutSource = "results-without-source", breaks [rules::status::ResultsSource],
            "sends Results Items without a Source LocURI";
        GetWithoutResults = "get-without-results", breaks [rules::status::GetHasResults],
            "answers a Get 200 but sends no Results";
        ResultsForFailedGet = "results-for-failed-get",
            breaks [rules::status::ResultsOnlyForSuccess],
            "answers a Get of several nodes, one missing, with 404 and Results for the others";
        Pkg1WithoutAlert = "pkg1-without-alert", breaks [rules::pkg::Pkg1Alert],
            "opens the session without Alert 1200/1201";
        Pkg1PartialDevInfo = "pkg1-partial-devinfo", breaks [rules::pkg::Pkg1DevInfo],
            "leaves ./DevInfo/Lang out of Package #1";
        Pkg0Answered1201 = "pkg0-answered-1201", breaks [rules::pkg::Pkg0Alert],
            "answers a Package 0 with Alert 1201";
        Pkg0OwnSessionId = "pkg0-own-sessionid", breaks [rules::pkg::Pkg0SessionId],
            "answers a Package 0 with a SessionID of its own";
        SendsGet = "sends-get", breaks [rules::pkg::ClientCommands],
            "sends a Get to the server";
        FinalWhileServerContinues = "final-while-server-continues",
            breaks [rules::pkg::NoEarlyFinal],
            "closes its package with Final while the server's package goes on";
        AtomicNoRollback = "atomic-no-rollback", breaks [rules::pkg::AtomicRollback],
            "keeps the effects of a failed Atomic";
        ChunkStatus200 = "chunk-status-200", breaks [rules::large::ChunkAnswered213],
            "answers a chunk with 200 instead of 213";
        CredWithoutType = "cred-without-type", breaks [rules::auth::CredType],
            "sends a Cred without Meta Type";
        DropsCredAfter200 = "drops-cred-after-200", breaks [rules::auth::ResendAfter200],
            "stops sending Cred after the server answered it 200";
        HmacHeaderNoUsername = "hmac-header-no-username", breaks [rules::auth::HmacHeaderForm],
            "sends an x-syncml-hmac header without username";
        HmacHeaderDropped = "hmac-header-dropped",
            breaks [
                rules::auth::HmacEveryMessage,
                rules::auth::ClientAnswersScheme,
                rules::auth::RepeatWithCred
            ],
            "stops sending the x-syncml-hmac header in the middle of the session";
        SwitchesToBasic = "switches-to-basic",
            breaks [
                rules::auth::SchemeConstant,
                rules::auth::HmacEveryMessage,
                rules::auth::ClientAnswersScheme
            ],
            "switches from HMAC to Basic in the middle of the session";
        HttpPut = "http-put", breaks [rules::http::Post], "sends a message with PUT";
        ContentTypeTextXml = "content-type-text-xml", breaks [rules::http::ContentType],
            "labels its messages text/xml";
        VerProtoParamWrong = "verproto-param-wrong", breaks [rules::http::VerProtoParam],
            "labels its messages verproto=DM/1.1";
        AnswersAbort = "answers-abort", breaks [rules::session::AbortNoResponse],
            "answers the server's Session Abort (Alert 1223) with Statuses for it";
    }
);

faults!(
    /// Faults of the reference server.
    ServerFault {
        EmptyReply = "empty-reply", breaks [rules::session::ServerAnswersEveryPackage],
            "answers the first Package #3 with HTTP 200 and an empty body";
        VerDtd = "verdtd-1.1", breaks [rules::msg::VerDtd], "writes VerDTD 1.1";
        VerProto = "verproto-1.1", breaks [rules::msg::VerProto], "writes VerProto DM/1.1";
        SessionIdMismatch = "sessionid-mismatch", breaks [rules::msg::SessionIdConstant],
            "answers with another SessionID";
        MsgIdRepeats = "msgid-repeats", breaks [rules::msg::MsgIdSequence],
            "reuses the MsgID of its previous message";
        DuplicateCmdId = "duplicate-cmdid", breaks [rules::msg::CmdIdUnique],
            "gives two commands of a message the same CmdID";
        EmptySource = "empty-source", breaks [rules::msg::SourceTarget],
            "leaves the SyncHdr's Source LocURI empty";
        WrongTarget = "wrong-target", breaks [rules::msg::TargetIsClient],
            "addresses its answer to another device";
        CredInCommand = "cred-in-command", breaks [rules::msg::NoCredInCommands],
            "puts a Cred inside a command";
        ForeignElement = "foreign-element", breaks [rules::msg::SyncmlNamespace],
            "puts an element of its own XML namespace in the SyncHdr";
        IgnoresMaxMsgSize = "ignores-max-msg-size", breaks [rules::msg::MaxMsgSize],
            "sends its package in one message whatever the client's MaxMsgSize";
        SynchdrStatusLast = "synchdr-status-last", breaks [rules::status::SynchdrFirst],
            "puts the Status for the client's SyncHdr last";
        WrongMsgRef = "wrong-msgref", breaks [rules::status::SynchdrMsgRef],
            "gives the SyncHdr Status a MsgRef of a message that does not exist";
        WrongCmdRef = "wrong-cmdref",
            breaks [rules::status::CmdRefValid, rules::status::EveryCommand],
            "answers a command with a Status whose CmdRef names no command";
        WrongStatusCmd = "wrong-status-cmd", breaks [rules::status::CmdName],
            "names the wrong command in a Status's Cmd";
        MissingStatus = "missing-status", breaks [rules::status::EveryCommand],
            "leaves a command without a Status";
        StatusForStatus = "status-for-status", breaks [rules::status::NotForStatus],
            "answers a Status with a Status";
        StatusCodeText = "status-code-text", breaks [rules::status::CodeValid],
            "writes a Status code as the text OK";
        Status200ForResults = "status-200-for-results", breaks [rules::status::No200ForResults],
            "acknowledges Results with Status 200";
        InvalidAlertCode = "invalid-alert-code", breaks [rules::pkg::AlertCode],
            "sends Alert 1221, a code DM does not define";
        FinalInNextMessage = "final-in-next-message", breaks [rules::pkg::NextMessageResponse],
            "closes its Next Message response with Final";
        ChunkWithoutSize = "chunk-without-size", breaks [rules::large::SizeFirstChunk],
            "leaves Meta Size out of an object's first chunk";
        IgnoresMaxObjSize = "ignores-max-obj-size", breaks [rules::large::MaxObjSize],
            "sends an object larger than the client's MaxObjSize";
        FinalWithChunk = "final-with-chunk", breaks [rules::large::NoFinalMidObject],
            "puts Final on a message that ends in the middle of an object";
        ChallengeWithoutChal = "challenge-without-chal", breaks [rules::auth::ChalWith401],
            "sends 401/407 without a Chal";
        ChalWithoutNonce = "chal-without-nonce", breaks [rules::auth::ChalNonce],
            "sends an MD5 Chal without NextNonce";
        AnswersChallengeWithBasic = "answers-challenge-with-basic",
            breaks [rules::auth::ServerAnswersScheme],
            "answers the client's challenge with Basic credentials whatever was asked";
        Hmac212 = "hmac-212", breaks [rules::auth::HmacStatus200],
            "answers an HMAC-authenticated message with 212";
        ReusedNonce = "reused-nonce",
            breaks [rules::auth::HmacNewNonce, rules::auth::FreshNonceAfterFailure],
            "gives the same nonce again";
        CommandsWithChallenge = "commands-with-challenge", breaks [rules::auth::FailureStatusOnly],
            "sends a command along with its challenge";
        AcceptsMissingCred = "accepts-missing-cred",
            breaks [rules::auth::RefusesMissingCred],
            "accepts a Package #1 without credentials with 212";
        AcceptsAnyPassword = "accepts-any-password",
            breaks [rules::probe::RefusesWrongCred],
            "accepts credentials that do not verify with 212 (200 for HMAC)";
        AcceptsStaleNonce = "accepts-stale-nonce",
            breaks [rules::probe::RefusesWrongCred],
            "accepts an MD5 digest or HMAC mac keyed with a nonce it has replaced";
        ContentTypeTextXml = "content-type-text-xml", breaks [rules::http::ContentType],
            "labels its messages text/xml";
        WrongEncodingLabel = "wrong-encoding-label", breaks [rules::http::ContentTypeMatches],
            "labels XML as WBXML and WBXML as XML";
        Http500WithMessage = "http-500-with-message", breaks [rules::http::Status200],
            "carries its DM message in HTTP 500";
        AnswersOtherEncoding = "answers-other-encoding", breaks [rules::http::SameEncoding],
            "answers XML with WBXML and WBXML with XML";
        Pkg0Version12 = "pkg0-version-12", breaks [rules::pkg::Pkg0Version],
            "writes version 12 (1.2) into Package 0, not 11";
    }
);

impl ClientFault {
    /// Faults that must hold for every message to be seen (else once per session).
    pub(crate) fn every_message(self) -> bool {
        matches!(
            self,
            ClientFault::Pkg0OwnSessionId | ClientFault::SwitchesToBasic
        )
    }

    /// Edit an outgoing message; true when the fault applied to it.
    pub(crate) fn mutate(self, m: &mut SyncML, ctx: MutCtx) -> bool {
        if let Some(e) = Edit::for_fault(self.name()) {
            return e.apply(m);
        }
        let setup = m.is_session_setup();
        let later = m.hdr.msg_id_number().is_some_and(|n| n > 1);
        match self {
            ClientFault::SessionIdChanges if later => m.hdr.session_id.push('9'),
            ClientFault::ResultsForReplace => {
                let Some(replace) = ctx.peer.and_then(|p| {
                    p.body
                        .commands
                        .iter()
                        .find(|c| matches!(c, Command::Replace(_)))
                }) else {
                    return false;
                };
                let id = replace.cmd_id().unwrap_or("").to_owned();
                match m.body.commands.iter_mut().find_map(|c| match c {
                    Command::Results(r) => Some(r),
                    _ => None,
                }) {
                    Some(r) => r.cmd_ref = id.into(),
                    None => return false,
                }
            }
            ClientFault::ResultsWithoutSource => {
                match m.body.commands.iter_mut().find_map(|c| match c {
                    Command::Results(r) => r.items.first_mut(),
                    _ => None,
                }) {
                    Some(i) => i.source = None,
                    None => return false,
                }
            }
            ClientFault::GetWithoutResults => {
                let before = m.body.commands.len();
                m.body
                    .commands
                    .retain(|c| !matches!(c, Command::Results(_)));
                if m.body.commands.len() == before {
                    return false;
                }
                renumber(m);
            }
            ClientFault::Pkg1WithoutAlert if setup && !later => {
                m.body.commands.retain(|c| c.as_alert().is_none());
                renumber(m);
            }
            ClientFault::Pkg1PartialDevInfo if setup => {
                match m.body.commands.iter_mut().find_map(|c| match c {
                    Command::Replace(r) => Some(r),
                    _ => None,
                }) {
                    Some(r) => {
                        r.items.pop();
                    }
                    None => return false,
                }
            }
            ClientFault::Pkg0Answered1201 if setup => {
                for c in &mut m.body.commands {
                    if let Command::Alert(a) = c
                        && a.data.as_deref() == Some(alert_code::SERVER_INITIATED_MGMT)
                    {
                        a.data = Some(alert_code::CLIENT_INITIATED_MGMT.into());
                    }
                }
            }
            ClientFault::Pkg0OwnSessionId => m.hdr.session_id = "D3C7".into(),
            ClientFault::SendsGet if !setup => {
                m.body.commands.push(Command::Get(ItemCmd {
                    items: vec![Item {
                        target: Some(LocRef::uri("./DMAcc")),
                        ..Default::default()
                    }],
                    ..Default::default()
                }));
                renumber(m);
            }
            ClientFault::FinalWhileServerContinues
                if !m.body.final_ && m.alert_codes().any(|c| c == alert_code::NEXT_MESSAGE) =>
            {
                m.body.final_ = true;
            }
            ClientFault::ChunkStatus200 => {
                match m.body.commands.iter_mut().find_map(|c| match c {
                    Command::Status(s) if s.code() == Some(213) => Some(s),
                    _ => None,
                }) {
                    Some(s) => s.data = "200".into(),
                    None => return false,
                }
            }
            ClientFault::CredWithoutType => match m.hdr.cred.as_mut().and_then(|c| c.meta.as_mut())
            {
                Some(meta) => meta.r#type = None,
                None => return false,
            },
            ClientFault::DropsCredAfter200 if later && !setup && m.hdr.cred.is_some() => {
                m.hdr.cred = None;
            }
            // A later Package #1 is the one repeated after a challenge.
            ClientFault::ReauthWithoutCred if later && setup && m.hdr.cred.is_some() => {
                m.hdr.cred = None;
            }
            _ => return false,
        }
        true
    }

    /// Edit the HTTP head of an outgoing message; true when the fault applied.
    pub(crate) fn mutate_http(
        self,
        m: &SyncML,
        method: &mut String,
        headers: &mut Headers,
    ) -> bool {
        let n = m.hdr.msg_id_number().unwrap_or(0);
        match self {
            ClientFault::HttpPut => *method = "PUT".into(),
            ClientFault::ContentTypeTextXml => set(headers, "Content-Type", "text/xml"),
            ClientFault::VerProtoParamWrong => {
                // A wrong version, in valid syntax (quoted), whether or not the
                // engine sent the parameter: the fault is the value, not the form.
                let mut ct = match headers.content_type() {
                    Some(Ok(ct)) => ct,
                    _ => MediaType::new(CONTENT_TYPE_XML),
                };
                ct.set_param("verproto", "DM/1.1");
                set(headers, "Content-Type", &ct.to_string());
            }
            ClientFault::HmacHeaderNoUsername if headers.get(HMAC_HEADER).is_some() => {
                let v = headers.get(HMAC_HEADER).unwrap_or("").to_owned();
                let mac = v
                    .split(',')
                    .find(|p| p.trim().starts_with("mac="))
                    .unwrap_or("mac=")
                    .trim()
                    .to_owned();
                set(headers, HMAC_HEADER, &format!("algorithm=MD5, {mac}"));
            }
            ClientFault::HmacHeaderDropped | ClientFault::SwitchesToBasic
                if n >= 3 && headers.get(HMAC_HEADER).is_some() =>
            {
                headers
                    .0
                    .retain(|(k, _)| !k.eq_ignore_ascii_case(HMAC_HEADER));
            }
            _ => return false,
        }
        true
    }
}

impl ServerFault {
    pub(crate) fn every_message(self) -> bool {
        matches!(
            self,
            ServerFault::WrongEncodingLabel | ServerFault::ContentTypeTextXml
        )
    }

    /// Edit an outgoing message; true when the fault applied to it.
    pub(crate) fn mutate(self, m: &mut SyncML, ctx: MutCtx) -> bool {
        if let Some(e) = Edit::for_fault(self.name()) {
            return e.apply(m);
        }
        let challenge = m
            .synchdr_status()
            .is_some_and(|s| matches!(s.code(), Some(401 | 407)));
        match self {
            ServerFault::SessionIdMismatch => m.hdr.session_id.push('9'),
            ServerFault::WrongTarget => m.hdr.target.loc_uri = "IMEI:000000000000000".into(),
            ServerFault::Status200ForResults => {
                let Some(peer) = ctx.peer else { return false };
                let Some(Command::Results(r)) = peer
                    .body
                    .commands
                    .iter()
                    .find(|c| matches!(c, Command::Results(_)))
                else {
                    return false;
                };
                m.body.commands.insert(
                    1.min(m.body.commands.len()),
                    Command::status(Status {
                        msg_ref: peer.hdr.msg_id.as_str().into(),
                        cmd_ref: r.cmd_id.clone(),
                        cmd: "Results".into(),
                        data: "200".into(),
                        ..Default::default()
                    }),
                );
                renumber(m);
            }
            ServerFault::InvalidAlertCode if m.operations().next().is_some() && !challenge => {
                m.body.commands.push(Command::alert(Alert {
                    data: Some("1221".into()),
                    ..Default::default()
                }));
                renumber(m);
            }
            ServerFault::FinalInNextMessage
                if !m.body.final_ && m.alert_codes().any(|c| c == alert_code::NEXT_MESSAGE) =>
            {
                m.body.final_ = true;
            }
            ServerFault::ChunkWithoutSize => {
                let item = m.body.commands.iter_mut().find_map(|c| match c {
                    Command::Add(x) | Command::Replace(x) => x.items.iter_mut().find(|i| {
                        i.extras.more_data && i.meta.as_ref().is_some_and(|m| m.size.is_some())
                    }),
                    _ => None,
                });
                match item.and_then(|i| i.meta.as_mut()) {
                    Some(meta) => meta.size = None,
                    None => return false,
                }
            }
            ServerFault::FinalWithChunk
                if !m.body.final_
                    && m.body.commands.iter().any(|c| match c {
                        Command::Add(x) | Command::Replace(x) => {
                            x.items.iter().any(|i| i.extras.more_data)
                        }
                        _ => false,
                    }) =>
            {
                m.body.final_ = true;
            }
            ServerFault::ChallengeWithoutChal if challenge => {
                for c in &mut m.body.commands {
                    if let Command::Status(s) = c {
                        s.chal = None;
                    }
                }
            }
            ServerFault::ChalWithoutNonce => {
                let chal = m.body.commands.iter_mut().find_map(|c| match c {
                    Command::Status(s) => s.chal.as_mut().filter(|c| c.meta.next_nonce.is_some()),
                    _ => None,
                });
                match chal {
                    Some(c) => c.meta.next_nonce = None,
                    None => return false,
                }
            }
            ServerFault::Hmac212 => {
                let s = m.body.commands.iter_mut().find_map(|c| match c {
                    Command::Status(s)
                        if s.is_for_synchdr()
                            && s.code() == Some(200)
                            && s.chal.as_ref().and_then(|c| c.meta.r#type.as_deref())
                                == Some(Scheme::Hmac.meta_type()) =>
                    {
                        Some(s)
                    }
                    _ => None,
                });
                match s {
                    Some(s) => s.data = "212".into(),
                    None => return false,
                }
            }
            ServerFault::CommandsWithChallenge if challenge => {
                m.body.commands.push(Command::Get(ItemCmd {
                    items: vec![Item {
                        target: Some(LocRef::uri("./DevInfo/Mod")),
                        ..Default::default()
                    }],
                    ..Default::default()
                }));
                renumber(m);
            }
            _ => return false,
        }
        true
    }

    /// Edit an outgoing Package 0 before it is signed; true when the fault applied.
    pub(crate) fn mutate_notification(self, n: &mut package0::Notification) -> bool {
        match self {
            // The DM version, where [NOT] §6.2.6 wants the notification's own (1.1).
            ServerFault::Pkg0Version12 => n.version = 12,
            _ => return false,
        }
        true
    }

    /// Edit the HTTP head (and status) of an outgoing answer.
    pub(crate) fn mutate_http(self, status: &mut u16, headers: &mut Headers) -> bool {
        match self {
            ServerFault::ContentTypeTextXml => set(headers, "Content-Type", "text/xml"),
            ServerFault::WrongEncodingLabel => {
                let other = match headers.media_type() {
                    Some(Ok(t)) if t == CONTENT_TYPE_WBXML => CONTENT_TYPE_XML,
                    _ => CONTENT_TYPE_WBXML,
                };
                set(headers, "Content-Type", other);
            }
            ServerFault::Http500WithMessage => *status = 500,
            _ => return false,
        }
        true
    }
}

fn set(h: &mut Headers, name: &str, value: &str) {
    h.0.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    h.push(name, value);
}
