#[automatically_derived]
impl ::bcast::__private::Schema for Venue {
    const SHAPE: ::bcast::__private::Shape = ::bcast::__private::Shape::new(
        ::bcast::__private::Kind::Enum(
            ::bcast::__private::Enum::new(
                    "Venue",
                    &[
                        ::bcast::__private::Variant::new(
                                "Exchange",
                                ::bcast::__private::Style::Named,
                                &[
                                    ::bcast::__private::Field::new(
                                        "id",
                                        &<u32 as ::bcast::__private::Schema>::SHAPE,
                                    ),
                                ],
                            )
                            .with_discriminant(1i128),
                        ::bcast::__private::Variant::new(
                                "Dark",
                                ::bcast::__private::Style::Tuple,
                                &[
                                    ::bcast::__private::Field::new(
                                        "0",
                                        &<u64 as ::bcast::__private::Schema>::SHAPE,
                                    ),
                                ],
                            )
                            .with_discriminant(2i128),
                        ::bcast::__private::Variant::new(
                                "Unknown",
                                ::bcast::__private::Style::Unit,
                                &[],
                            )
                            .with_discriminant(3i128),
                    ],
                )
                .with_reprs(&["u8"]),
        ),
    );
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
