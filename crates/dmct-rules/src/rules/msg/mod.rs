//! Message structure (SyncML RepPro as profiled by DM 1.2): the SyncHdr and CmdIDs.

use super::{announced, answered, flatten, sent};
use crate::{Binds, Decl, Level, Observation, Role, Rule, RuleStatus, View};
use std::collections::{BTreeMap, BTreeSet};

mod cmd_id_unique;
mod max_msg_size;
mod msg_id_sequence;
mod no_cred_in_commands;
mod session_id_constant;
mod source_target;
mod syncml_namespace;
mod target_is_client;
mod ver_dtd;
mod ver_proto;

pub use cmd_id_unique::CmdIdUnique;
pub use max_msg_size::MaxMsgSize;
pub use msg_id_sequence::MsgIdSequence;
pub use no_cred_in_commands::NoCredInCommands;
pub use session_id_constant::SessionIdConstant;
pub use source_target::SourceTarget;
pub use syncml_namespace::SyncmlNamespace;
pub use target_is_client::TargetIsClient;
pub use ver_dtd::VerDtd;
pub use ver_proto::VerProto;
