const _: () = {
    #[allow(dead_code)]
    fn pod_message_has_no_padding()
    where
        ::bcast::__private::PodLayout<
            {
                ::core::mem::size_of::<Trade>()
                    == ::core::mem::size_of::<u64>() + ::core::mem::size_of::<f64>()
            },
        >: ::bcast::__private::PaddingFree<Trade>,
    {}
};
#[automatically_derived]
impl ::bcast::__private::Schema for Trade {
    const SHAPE: ::bcast::__private::Shape = ::bcast::__private::Shape::new(
        ::bcast::__private::Kind::Struct(
            ::bcast::__private::Struct::new(
                    "Trade",
                    ::bcast::__private::Style::Named,
                    &[
                        ::bcast::__private::Field::new(
                            "instrument",
                            &<u64 as ::bcast::__private::Schema>::SHAPE,
                        ),
                        ::bcast::__private::Field::new(
                            "price",
                            &<f64 as ::bcast::__private::Schema>::SHAPE,
                        ),
                    ],
                )
                .with_reprs(&["C"])
                .with_layout(
                    ::bcast::__private::Layout::new(
                        ::core::mem::size_of::<Self>(),
                        ::core::mem::align_of::<Self>(),
                        &[
                            ::bcast::__private::Slot::new(
                                ::core::mem::offset_of!(Self, instrument),
                                ::core::mem::size_of::<u64>(),
                            ),
                            ::bcast::__private::Slot::new(
                                ::core::mem::offset_of!(Self, price),
                                ::core::mem::size_of::<f64>(),
                            ),
                        ],
                    ),
                ),
        ),
    );
    const HOLDS_USIZE: bool = false || <u64 as ::bcast::__private::Schema>::HOLDS_USIZE
        || <f64 as ::bcast::__private::Schema>::HOLDS_USIZE;
    #[inline]
    fn check_usize(
        &self,
    ) -> ::bcast::__private::Result<(), ::bcast::typed::UsizeOverflow> {
        if !<Self as ::bcast::__private::Schema>::HOLDS_USIZE {
            return ::bcast::__private::Result::Ok(());
        }
        <u64 as ::bcast::__private::Schema>::check_usize(&self.instrument)?;
        <f64 as ::bcast::__private::Schema>::check_usize(&self.price)?;
        ::bcast::__private::Result::Ok(())
    }
}
#[automatically_derived]
impl ::bcast::__private::TypedMessage for Trade {
    const TAG: u32 = 2u32;
    type Codec = ::bcast::__private::Pod;
}
