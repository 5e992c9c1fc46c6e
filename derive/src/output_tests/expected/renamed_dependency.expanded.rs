#[automatically_derived]
impl ::bcast2::__private::Schema for Ping {
    const SHAPE: ::bcast2::__private::Shape = ::bcast2::__private::Shape::new(
        ::bcast2::__private::Kind::Struct(
            ::bcast2::__private::Struct::new(
                    "Ping",
                    ::bcast2::__private::Style::Named,
                    &[
                        ::bcast2::__private::Field::new(
                            "at",
                            &<u64 as ::bcast2::__private::Schema>::SHAPE,
                        ),
                    ],
                )
                .with_reprs(&[]),
        ),
    );
    const HOLDS_USIZE: bool = false || <u64 as ::bcast2::__private::Schema>::HOLDS_USIZE;
    #[inline]
    fn check_usize(
        &self,
    ) -> ::bcast2::__private::Result<(), ::bcast2::typed::UsizeOverflow> {
        if !<Self as ::bcast2::__private::Schema>::HOLDS_USIZE {
            return ::bcast2::__private::Result::Ok(());
        }
        <u64 as ::bcast2::__private::Schema>::check_usize(&self.at)?;
        ::bcast2::__private::Result::Ok(())
    }
}
#[automatically_derived]
impl ::bcast2::__private::TypedMessage for Ping {
    const TAG: u32 = 3u32;
    type Codec = ::bcast2::__private::Rkyv;
}
