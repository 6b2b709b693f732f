//! Message structure (SyncML RepPro as profiled by DM 1.2): the SyncHdr and CmdIDs.

use super::{announced, answered, flatten, sent};
use crate::{Binds, Decl, Level, Observation, Role, Rule, RuleStatus, View};
use std::collections::{BTreeMap, BTreeSet};

// The rule files of this area, collected by build.rs: one `pub struct` per file.
include!(concat!(env!("OUT_DIR"), "/rules_msg.rs"));
