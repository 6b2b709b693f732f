//! Every integration test of this crate in one binary (one link, and libtest runs the
//! tests of every file on parallel threads): one module per file.

mod auth_props;
mod libwbxml_oracle;
mod media_type_props;
mod stream_oracle;
mod streamed_same;
mod xml_roundtrip;
