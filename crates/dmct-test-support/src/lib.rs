//! Test support for dmct: how its tests, vectors and tasks script a peer.
//!
//! - [`transcript`]: a builder of hand-written transcripts (messages written as XML text
//!   from the elements the DM texts name), for fixtures that hold the checker against
//!   the text rather than against dmct's own engines. It is its own crate
//!   (dmct-test-transcript, on dmct-proto alone) so that dmct-rules' inline fixtures
//!   use it without a second copy of dmct-rules (this crate depends on dmct-session).
//! - [`names`]: the varied names (DevId, accounts, SessionID, nonce seed) the vectors'
//!   peers are given, drawn from proptest strategies with a seed fixed per scenario.
//!
//! A dev-dependency only: proptest and the builders never ship in the dmct binary.

pub mod names;
pub use dmct_test_transcript as transcript;
