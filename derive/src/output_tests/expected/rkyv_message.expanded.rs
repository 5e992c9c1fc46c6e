#[automatically_derived]
impl ::bcast::__private::Schema for Quote {
    const NAME: &'static str = "Quote";
    const FINGERPRINT: u64 = ::bcast::__private::SchemaHasher::new("struct", "Quote")
        .str("named")
        .field("symbol", <String as ::bcast::__private::Schema>::FINGERPRINT)
        .field("bid", <f64 as ::bcast::__private::Schema>::FINGERPRINT)
        .finish();
    const HOLDS_USIZE: bool = false
        || <String as ::bcast::__private::Schema>::HOLDS_USIZE
        || <f64 as ::bcast::__private::Schema>::HOLDS_USIZE;
    #[inline]
    fn check_usize(
        &self,
    ) -> ::bcast::__private::Result<(), ::bcast::typed::UsizeOverflow> {
        if !<Self as ::bcast::__private::Schema>::HOLDS_USIZE {
            return ::bcast::__private::Result::Ok(());
        }
        <String as ::bcast::__private::Schema>::check_usize(&self.symbol)?;
        <f64 as ::bcast::__private::Schema>::check_usize(&self.bid)?;
        ::bcast::__private::Result::Ok(())
    }
}
#[automatically_derived]
impl ::bcast::__private::TypedMessage for Quote {
    const TAG: u32 = 1u32;
    type Codec = ::bcast::__private::Rkyv;
}
