#[automatically_derived]
impl ::bcast::__private::Schema for Quote {
    const SHAPE: ::bcast::__private::Shape = ::bcast::__private::Shape::new(
        ::bcast::__private::Kind::Struct(
            ::bcast::__private::Struct::new(
                    "Quote",
                    ::bcast::__private::Style::Named,
                    &[
                        ::bcast::__private::Field::new(
                            "symbol",
                            &<String as ::bcast::__private::Schema>::SHAPE,
                        ),
                        ::bcast::__private::Field::new(
                            "bid",
                            &<f64 as ::bcast::__private::Schema>::SHAPE,
                        ),
                    ],
                )
                .with_reprs(&[]),
        ),
    );
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
    const TAG: u32 = 4u32;
    type Codec = ::bcast::__private::Rkyv;
    const KEY: ::bcast::__private::Option<&'static str> = ::bcast::__private::Option::Some(
        "symbol",
    );
    #[inline]
    fn put_key(&self, out: &mut ::bcast::__private::Vec<u8>) {
        ::bcast::__private::Key::put_key(&self.symbol, out);
    }
    #[inline]
    fn put_view_key(
        view: &::bcast::__private::View<'_, Self>,
        out: &mut ::bcast::__private::Vec<u8>,
    ) {
        ::bcast::__private::Key::put_key(&view.symbol, out);
    }
}
