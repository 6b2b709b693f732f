//! Properties of the credential functions over arbitrary inputs.

use dmct_proto::auth::*;
use proptest::prelude::*;

proptest! {
    #[test]
    fn md5_digest_verifies(user in "[^:]{0,16}", secret in ".{0,16}", nonce in prop::collection::vec(any::<u8>(), 0..32)) {
        let c = Credentials { user, secret };
        let n = Nonce(nonce);
        let data = md5_digest(&c, n.as_bytes());
        prop_assert!(verify(Scheme::Md5, &data, &c, Some(&n)).is_ok());
        prop_assert_eq!(Nonce::from_b64(&n.to_b64()).unwrap(), n);
    }

    #[test]
    fn basic_round_trips(user in "[^:]{0,16}", secret in ".{0,16}") {
        let c = Credentials { user, secret };
        prop_assert_eq!(decode_basic(&basic(&c)).unwrap(), c.clone());
        prop_assert!(verify(Scheme::Basic, &basic(&c), &c, None).is_ok());
    }

    #[test]
    fn garbage_never_panics(data in ".{0,40}") {
        let c = Credentials { user: "u".into(), secret: "s".into() };
        let _ = verify(Scheme::Basic, &data, &c, None);
        let _ = verify(Scheme::Md5, &data, &c, Some(&Nonce(vec![1])));
        let _ = Nonce::from_b64(&data);
    }
}
