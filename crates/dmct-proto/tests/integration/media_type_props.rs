//! What dmct's media-type writer produces, read back by a strict RFC 6838/7231 parser
//! that is not dmct's (the mediatype crate) and by dmct's own reader.

use dmct_proto::media_type::MediaType;
use mediatype::ReadParams as _;
use proptest::prelude::*;

proptest! {
    #[test]
    fn any_parameter_value_is_written_so_strict_parsers_read_it_back(
        value in "[ -~]{1,24}",
        name in "[a-z][a-z0-9-]{0,10}",
    ) {
        let mut m = MediaType::new(dmct_proto::CONTENT_TYPE_XML);
        m.set_param(&name, &value);
        let text = m.to_string();
        let strict = mediatype::MediaType::parse(&text)
            .map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        let got = strict.get_param(mediatype::Name::new(&name).unwrap()).unwrap();
        prop_assert_eq!(got.unquoted_str(), value.as_str());
        prop_assert_eq!(MediaType::parse(&text), Ok(m));
    }
}
