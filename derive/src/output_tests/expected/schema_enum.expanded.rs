#[automatically_derived]
impl ::bcast::__private::Schema for Venue {
    const NAME: &'static str = "Venue";
    const FINGERPRINT: u64 = ::bcast::__private::SchemaHasher::new("enum", "Venue")
        .str("u8")
        .str("Exchange")
        .str("=")
        .str("1")
        .str("named")
        .field("id", <u32 as ::bcast::__private::Schema>::FINGERPRINT)
        .str("Dark")
        .str("=")
        .str("2")
        .str("tuple")
        .field("0", <u64 as ::bcast::__private::Schema>::FINGERPRINT)
        .str("Unknown")
        .str("=")
        .str("3")
        .str("unit")
        .finish();
    const HOLDS_USIZE: bool = false || <u32 as ::bcast::__private::Schema>::HOLDS_USIZE
        || <u64 as ::bcast::__private::Schema>::HOLDS_USIZE;
    #[inline]
    fn check_usize(
        &self,
    ) -> ::bcast::__private::Result<(), ::bcast::typed::UsizeOverflow> {
        if !<Self as ::bcast::__private::Schema>::HOLDS_USIZE {
            return ::bcast::__private::Result::Ok(());
        }
        match self {
            Self::Exchange { id: __bcast_field_0 } => {
                <u32 as ::bcast::__private::Schema>::check_usize(__bcast_field_0)?;
            }
            Self::Dark(__bcast_field_0) => {
                <u64 as ::bcast::__private::Schema>::check_usize(__bcast_field_0)?;
            }
            Self::Unknown => {}
        }
        ::bcast::__private::Result::Ok(())
    }
}
