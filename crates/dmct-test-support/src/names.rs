//! Who the peers of a vector are: drawn from proptest strategies with a seed fixed by
//! the scenario id, so regeneration is byte-stable and the checker still sees varied
//! names rather than one set.

use dmct_proto::auth::Credentials;
use dmct_session::PeerParams;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// The names for the scenario `scenario_id`.
pub fn names_for(scenario_id: &str) -> PeerParams {
    let mut seed = [0u8; 32];
    for (i, b) in scenario_id.bytes().enumerate() {
        seed[i % 32] ^= b.rotate_left(i as u32 % 8);
    }
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    );
    let strategy = (
        "IMEI:[0-9]{15}",
        "[a-z][a-z0-9]{3,11}",
        "[A-Za-z0-9]{12,24}",
        "[a-z][a-z0-9]{3,11}",
        "[A-Za-z0-9]{12,24}",
        1u16..=0xFFFF,
        any::<u64>(),
    );
    let (dev_id, cu, cs, su, ss, sid, nonce_seed) = strategy
        .new_tree(&mut runner)
        .map(|t| t.current())
        .unwrap_or_else(|e| unreachable!("the strategies cannot be rejected: {e}"));
    PeerParams {
        dev_id,
        client: Credentials {
            user: cu,
            secret: cs,
        },
        server: Credentials {
            user: su,
            secret: ss,
        },
        session_id: format!("{sid:X}"),
        nonce_seed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_per_scenario_and_differ_between_scenarios() {
        let a = names_for("session/get-replace");
        assert_eq!(a, names_for("session/get-replace"));
        assert_ne!(a, names_for("session/every-command"));
        assert!(a.dev_id.starts_with("IMEI:") && a.dev_id.len() == 20);
        assert!(!a.session_id.starts_with('0'));
        assert_eq!(a.session_id, a.session_id.to_uppercase());
    }
}
