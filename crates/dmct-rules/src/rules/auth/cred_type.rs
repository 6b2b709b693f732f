use super::*;

/// Cred names its scheme (Meta Type) and, for MD5, Format b64.
pub struct CredType;

impl Rule for CredType {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/cred-type",
            status: RuleStatus::Testable,
            clause: "[REP] §6.1.6; [SEC] §5.4.1; SyncML RepPro Cred ?",
            unconfirmed: Some(
                "that every Cred names its scheme in Meta Type rests on SyncML RepPro, which is \
                    not among the DM 1.2.1 documents dmct's audit could read; the DM text \
                    requires Format b64 only for syncml:auth-md5 and forbids syncml:auth-MAC in \
                    Cred",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "Cred names its scheme in Meta Type (syncml:auth-basic or syncml:auth-md5); \
                an MD5 Cred has Format b64 (Basic may have any); syncml:auth-MAC never travels in \
                Cred, only in the x-syncml-hmac header.",
            allowed: &["Meta Type in any letter case"],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/reauth-md5"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            let Some(cred) = &m.m.hdr.cred else { continue };
            let meta = cred.meta.as_ref();
            let scheme = meta
                .and_then(|x| x.r#type.as_deref())
                .and_then(Scheme::from_meta_type);
            let format_ok = meta.and_then(|x| x.format.as_deref()).map(str::trim) == Some("b64");
            match scheme {
                Some(Scheme::Basic) => out.push(m.pass("Cred of syncml:auth-basic")),
                Some(Scheme::Md5) if format_ok => out.push(m.pass("Cred of syncml:auth-md5, b64")),
                Some(Scheme::Md5) => {
                    out.push(m.fail("an MD5 Cred without Format b64", m.hdr_excerpt()))
                }
                Some(Scheme::Hmac) => out.push(m.fail(
                    "HMAC credentials in Cred; they belong in the x-syncml-hmac header",
                    m.hdr_excerpt(),
                )),
                None => out.push(m.fail(
                    "a Cred whose Meta Type names no known scheme",
                    m.hdr_excerpt(),
                )),
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "Cred Meta Type in upper case",
            role: Role::Client,
            allowed: Some("Meta Type in any letter case"),
            verdict: Verdict::Pass,
            build: cred_type_upper_case,
        },
        Fixture {
            name: "Cred of an unknown Meta Type",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: cred_type_unknown,
        },
    ];

    fn cred_type_upper_case() -> Transcript {
        opened_with(
            Msg::client(1)
                .cred("SYNCML:AUTH-BASIC", "QnJ1Y2UxOk9oQmVoYXZl")
                .setup("1201"),
        )
    }

    fn cred_type_unknown() -> Transcript {
        opened_with(
            Msg::client(1)
                .cred("syncml:auth-none", "QnJ1Y2UxOk9oQmVoYXZl")
                .setup("1201"),
        )
    }
}
