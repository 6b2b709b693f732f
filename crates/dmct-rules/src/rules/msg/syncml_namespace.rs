use super::*;

/// Every element outside Data content is SyncML's or MetInf's: a foreign
/// namespace where a SyncML element stands makes the message no SyncML document
/// (errata to issue 14, item 7). WBXML cannot carry a namespace outside its code
/// pages, so only XML can break this.
pub struct SyncmlNamespace;

impl Rule for SyncmlNamespace {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "msg/syncml-namespace",
            status: RuleStatus::Testable,
            clause: "[REP] §6; SyncML RepPro DTD ?",
            unconfirmed: Some(
                "the element set and its namespace (SYNCML:SYNCML1.2, MetInf's syncml:metinf) are \
                    declared by the SyncML RepPro DTD and SyncML Meta Information, which are not \
                    among the documents dmct's audit could read; [REP] §6 adds the DM \
                    restrictions to them",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "Every element outside Data content is in SyncML's namespace (or MetInf's, \
                inside Meta): no element of a foreign XML namespace stands where a SyncML element \
                belongs.",
            allowed: &[
                "content of another vocabulary inside Data (a TNDS MgmtTree in syncml:dmddf1.2)",
                "a message that declares no namespace (the DTD fixes it)",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        sent(view, role)
            .iter()
            .map(|m| {
                let found = &m.decoded.foreign;
                let Some(first) = found.first.first() else {
                    return m.pass("every element outside Data is SyncML's or MetInf's");
                };
                let more = match found.count {
                    1 => String::new(),
                    n => format!(" ({} such elements in the message)", n),
                };
                m.fail(
                    format!(
                        "{} is in namespace {:?} where a SyncML element stands{more}",
                        first.path, first.namespace
                    ),
                    crate::rules::Excerpt::element(m.decoded, m.index, m.side, &first.span),
                )
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "TNDS MgmtTree in its own namespace inside an Add's Data",
            role: Role::Server,
            allowed: Some(
                "content of another vocabulary inside Data (a TNDS MgmtTree in syncml:dmddf1.2)",
            ),
            verdict: Verdict::Pass,
            build: tnds_in_data,
        },
        Fixture {
            name: "no namespace declared on SyncML",
            role: Role::Server,
            allowed: Some("a message that declares no namespace (the DTD fixes it)"),
            verdict: Verdict::Pass,
            build: no_namespace_declared,
        },
        Fixture {
            name: "a vendor element in the SyncHdr",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: foreign_in_synchdr,
        },
        Fixture {
            name: "a Get written in a vendor namespace",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: foreign_command,
        },
    ];

    /// The server answers Package #1 with `pkg2`, written whole: SyncML namespace as given.
    fn server_wrote(pkg2: &str) -> Transcript {
        Session::new()
            .answered_with(Msg::client(1).setup("1201"), pkg2)
            .done()
    }

    /// A Package #2 with `root` as its opening tag and `extra` after the Alert's Status.
    fn pkg2_text(root: &str, hdr_extra: &str, extra: &str) -> String {
        format!(
            "{root}<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>\
         <SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>{}</LocURI></Target>\
         <Source><LocURI>{}</LocURI></Source>{hdr_extra}</SyncHdr><SyncBody>\
         <Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
         <TargetRef>{}</TargetRef><SourceRef>{}</SourceRef><Data>212</Data></Status>\
         <Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>1</CmdRef><Cmd>Alert</Cmd>\
         <Data>200</Data></Status>{extra}<Final/></SyncBody></SyncML>",
            DEVICE, SERVER, SERVER, DEVICE
        )
    }

    const SYNCML_ROOT: &str = "<SyncML xmlns=\"SYNCML:SYNCML1.2\">";

    fn tnds_in_data() -> Transcript {
        server_wrote(&pkg2_text(
            SYNCML_ROOT,
            "",
            "<Add><CmdID>3</CmdID><Item><Target><LocURI>./Vendor</LocURI></Target>\
         <Meta><Format xmlns=\"syncml:metinf\">xml</Format>\
         <Type xmlns=\"syncml:metinf\">application/vnd.syncml.dmtnds+xml</Type></Meta>\
         <Data><MgmtTree xmlns=\"syncml:dmddf1.2\"><VerDTD>1.2</VerDTD><Node>\
         <NodeName>Vendor</NodeName></Node></MgmtTree></Data></Item></Add>",
        ))
    }

    fn no_namespace_declared() -> Transcript {
        server_wrote(&pkg2_text("<SyncML>", "", ""))
    }

    fn foreign_in_synchdr() -> Transcript {
        server_wrote(&pkg2_text(
            SYNCML_ROOT,
            "<Hint xmlns=\"urn:x-vendor\">1</Hint>",
            "",
        ))
    }

    fn foreign_command() -> Transcript {
        server_wrote(&pkg2_text(
            SYNCML_ROOT,
            "",
            "<v:Get xmlns:v=\"urn:x-vendor\"><CmdID>3</CmdID><Item><Target>\
         <LocURI>./DevInfo/Mod</LocURI></Target></Item></v:Get>",
        ))
    }
}
