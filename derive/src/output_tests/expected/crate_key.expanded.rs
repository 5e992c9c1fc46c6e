#[automatically_derived]
impl my_facade::bcast::__private::Schema for Ping {
    const SHAPE: my_facade::bcast::__private::Shape = my_facade::bcast::__private::Shape::new(
        my_facade::bcast::__private::Kind::Struct(
            my_facade::bcast::__private::Struct::new(
                    "Ping",
                    my_facade::bcast::__private::Style::Named,
                    &[
                        my_facade::bcast::__private::Field::new(
                            "at",
                            &<u64 as my_facade::bcast::__private::Schema>::SHAPE,
                        ),
                    ],
                )
                .with_reprs(&[]),
        ),
    );
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
