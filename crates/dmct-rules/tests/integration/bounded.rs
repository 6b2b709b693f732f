//! A finding stays readable whatever the peer sent: details and excerpts that would
//! quote a huge value are cut, saying how much was left out.

use crate::support;

use dmct_rules::{Role, Verdict};
use support::{Msg, Session, finding};

#[test]
fn a_finding_quoting_a_huge_session_id_is_cut_and_says_so() {
    let huge = "7".repeat(200_000);
    let t = Session::new()
        .exchange(
            Msg::client(1).setup("1201"),
            Msg::server(1)
                .session(&huge)
                .hdr_status(1, 212)
                .status(1, 1, "Alert", 200),
        )
        .done();
    let f = finding(&t, "msg/sessionid-constant", Role::Server);
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
    assert!(f.detail.len() < 1_100, "detail of {} bytes", f.detail.len());
    assert!(f.detail.ends_with("more bytes]"), "{}", f.detail);
    let excerpt = f.excerpt.expect("the SyncHdr as evidence");
    assert!(excerpt.len() < 2_100, "excerpt of {} bytes", excerpt.len());
}
