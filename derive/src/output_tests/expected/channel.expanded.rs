///A message received on channel [`MarketData`]: a zero-copy view per message type.
pub enum MarketDataView<'a> {
    ///A `Quote` message.
    Quote(::bcast::__private::View<'a, Quote>),
    ///A `Trade` message.
    Trade(::bcast::__private::View<'a, Trade>),
}
#[automatically_derived]
impl ::bcast::__private::Channel for MarketData {
    const NAME: &'static str = "MarketData";
    const TYPES: &'static [::bcast::__private::TypeEntry] = &[
        ::bcast::__private::TypeEntry::of::<Quote>(),
        ::bcast::__private::TypeEntry::of::<Trade>(),
    ];
    const SHAPES: &'static [(u32, &'static ::bcast::__private::Shape)] = &[
        (
            <Quote as ::bcast::__private::TypedMessage>::TAG,
            &<Quote as ::bcast::__private::Schema>::SHAPE,
        ),
        (
            <Trade as ::bcast::__private::TypedMessage>::TAG,
            &<Trade as ::bcast::__private::Schema>::SHAPE,
        ),
    ];
    const ROOTS: &'static [::core::alloc::Layout] = &[
        <<Quote as ::bcast::__private::TypedMessage>::Codec as ::bcast::__private::Codec<
            Quote,
        >>::ROOT,
        <<Trade as ::bcast::__private::TypedMessage>::Codec as ::bcast::__private::Codec<
            Trade,
        >>::ROOT,
    ];
    const KEYS: &'static [::bcast::__private::Option<&'static str>] = &[
        <Quote as ::bcast::__private::TypedMessage>::KEY,
        <Trade as ::bcast::__private::TypedMessage>::KEY,
    ];
    type View<'a> = MarketDataView<'a>;
    #[inline]
    fn put_view_key(view: &MarketDataView<'_>, out: &mut ::bcast::__private::Vec<u8>) {
        #[allow(unreachable_patterns)]
        match view {
            MarketDataView::Quote(view) => {
                <Quote as ::bcast::__private::TypedMessage>::put_view_key(view, out)
            }
            MarketDataView::Trade(view) => {
                <Trade as ::bcast::__private::TypedMessage>::put_view_key(view, out)
            }
        }
    }
    #[inline]
    #[allow(unreachable_patterns)]
    fn type_index(tag: u32) -> ::bcast::__private::Option<usize> {
        match tag {
            <Quote as ::bcast::__private::TypedMessage>::TAG => {
                ::bcast::__private::Option::Some(0usize)
            }
            <Trade as ::bcast::__private::TypedMessage>::TAG => {
                ::bcast::__private::Option::Some(1usize)
            }
            _ => ::bcast::__private::Option::None,
        }
    }
    #[inline]
    fn decode(
        payload: ::bcast::__private::Payload<'_>,
    ) -> ::bcast::__private::Result<
        MarketDataView<'_>,
        ::bcast::__private::DecodeError,
    > {
        #[allow(unreachable_patterns)]
        match payload.tag() {
            <Quote as ::bcast::__private::TypedMessage>::TAG => {
                payload.decode::<Quote>().map(MarketDataView::Quote)
            }
            <Trade as ::bcast::__private::TypedMessage>::TAG => {
                payload.decode::<Trade>().map(MarketDataView::Trade)
            }
            tag => {
                ::bcast::__private::Result::Err(::bcast::__private::DecodeError::UnknownTag {
                    tag,
                })
            }
        }
    }
    #[inline]
    fn visit<V: ::bcast::__private::MessageVisitor<Self>>(
        &self,
        visitor: V,
    ) -> V::Output {
        match self {
            Self::Quote(message) => visitor.visit(message),
            Self::Trade(message) => visitor.visit(message),
        }
    }
}
#[automatically_derived]
impl ::bcast::__private::InChannel<MarketData> for Quote {}
#[automatically_derived]
impl ::core::convert::From<Quote> for MarketData {
    #[inline]
    fn from(message: Quote) -> Self {
        Self::Quote(message)
    }
}
const _: () = {
    if <Quote as ::bcast::__private::TypedMessage>::TAG == 0 {
        ::core::panic!(
            "variant `Quote` of channel `MarketData` has tag 0, which is reserved",
        );
    }
};
#[automatically_derived]
impl ::bcast::__private::InChannel<MarketData> for Trade {}
#[automatically_derived]
impl ::core::convert::From<Trade> for MarketData {
    #[inline]
    fn from(message: Trade) -> Self {
        Self::Trade(message)
    }
}
const _: () = {
    if <Trade as ::bcast::__private::TypedMessage>::TAG == 0 {
        ::core::panic!(
            "variant `Trade` of channel `MarketData` has tag 0, which is reserved",
        );
    }
    if <Trade as ::bcast::__private::TypedMessage>::TAG
        == <Quote as ::bcast::__private::TypedMessage>::TAG
    {
        ::core::panic!(
            "variants `Quote` and `Trade` of channel `MarketData` carry message types with the same tag; give one of them another `#[bcast(tag = ...)]`",
        );
    }
};
/// Names the variant only: archived types need not implement `Debug`.
#[automatically_derived]
impl ::core::fmt::Debug for MarketDataView<'_> {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match self {
            Self::Quote(_) => f.debug_tuple("Quote").finish_non_exhaustive(),
            Self::Trade(_) => f.debug_tuple("Trade").finish_non_exhaustive(),
        }
    }
}
#[allow(dead_code)]
impl MarketDataView<'_> {
    /// The message type's name, as in the channel's registry.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Quote(_) => <Quote as ::bcast::__private::Schema>::SHAPE.name(),
            Self::Trade(_) => <Trade as ::bcast::__private::Schema>::SHAPE.name(),
        }
    }
    /// The message type's tag.
    pub fn tag(&self) -> u32 {
        match self {
            Self::Quote(_) => <Quote as ::bcast::__private::TypedMessage>::TAG,
            Self::Trade(_) => <Trade as ::bcast::__private::TypedMessage>::TAG,
        }
    }
    /// The owned message this view shows, as a value of the channel's enum: what the
    /// publisher sent, kept past the subscriber's next read.
    ///
    /// Needs `rkyv::Deserialize` on every rkyv message type of the channel
    /// (`#[bcast::typed::message]` derives it).
    ///
    /// # Errors
    ///
    /// A `DecodeError` if rkyv cannot rebuild a value.
    pub fn to_message(
        &self,
    ) -> ::bcast::__private::Result<MarketData, ::bcast::__private::DecodeError>
    where
        for<'x> Quote: ::bcast::__private::ToMessage,
        for<'x> Trade: ::bcast::__private::ToMessage,
    {
        match self {
            Self::Quote(view) => {
                <Quote as ::bcast::__private::ToMessage>::to_message(view)
                    .map(MarketData::Quote)
            }
            Self::Trade(view) => {
                <Trade as ::bcast::__private::ToMessage>::to_message(view)
                    .map(MarketData::Trade)
            }
        }
    }
    /// The message as one line of JSON, `{"type":"Quote","tag":1,"value":{...}}`.
    ///
    /// Needs bcast's `serde` feature and `serde::Serialize` on every message type of the
    /// channel (rkyv ones also need `rkyv::Deserialize`).
    ///
    /// # Errors
    ///
    /// A `JsonError` if the value cannot be rendered.
    pub fn to_json_line(
        &self,
    ) -> ::bcast::__private::Result<
        ::bcast::__private::String,
        ::bcast::__private::JsonError,
    >
    where
        for<'x> Quote: ::bcast::__private::JsonMessage,
        for<'x> Trade: ::bcast::__private::JsonMessage,
    {
        match self {
            Self::Quote(view) => ::bcast::__private::json_line::<Quote>(view),
            Self::Trade(view) => ::bcast::__private::json_line::<Trade>(view),
        }
    }
}
