#[automatically_derived]
impl my_facade::bcast::__private::Schema for Ping {
    const NAME: &'static str = "Ping";
    const FINGERPRINT: u64 = my_facade::bcast::__private::SchemaHasher::new(
            "struct",
            "Ping",
        )
        .str("named")
        .field("at", <u64 as my_facade::bcast::__private::Schema>::FINGERPRINT)
        .finish();
    const HOLDS_USIZE: bool = false
        || <u64 as my_facade::bcast::__private::Schema>::HOLDS_USIZE;
    #[inline]
    fn check_usize(
        &self,
    ) -> my_facade::bcast::__private::Result<
        (),
        my_facade::bcast::typed::UsizeOverflow,
    > {
        if !<Self as my_facade::bcast::__private::Schema>::HOLDS_USIZE {
            return my_facade::bcast::__private::Result::Ok(());
        }
        <u64 as my_facade::bcast::__private::Schema>::check_usize(&self.at)?;
        my_facade::bcast::__private::Result::Ok(())
    }
}
#[automatically_derived]
impl my_facade::bcast::__private::TypedMessage for Ping {
    const TAG: u32 = 3u32;
    type Codec = my_facade::bcast::__private::Rkyv;
}
