::core::compile_error!(
    "a channel variant must be a newtype over a message type, like `Heartbeat(Heartbeat)`",
)
///A message received on channel [`MarketData`]: a zero-copy view per message type.
pub enum MarketDataView<'a> {
    ///A `Quote` message.
    Quote(::bcast::__private::View<'a, Quote>),
}
#[automatically_derived]
impl ::bcast::__private::Channel for MarketData {
    const NAME: &'static str = "MarketData";
    const TYPES: &'static [::bcast::__private::TypeEntry] = &[
        ::bcast::__private::TypeEntry::of::<Quote>(),
    ];
    const SHAPES: &'static [(u32, &'static ::bcast::__private::Shape)] = &[
        (
            <Quote as ::bcast::__private::TypedMessage>::TAG,
            &<Quote as ::bcast::__private::Schema>::SHAPE,
        ),
    ];
    const ROOTS: &'static [::core::alloc::Layout] = &[
        <<Quote as ::bcast::__private::TypedMessage>::Codec as ::bcast::__private::Codec<
            Quote,
        >>::ROOT,
    ];
    const KEYS: &'static [::bcast::__private::Option<&'static str>] = &[
        <Quote as ::bcast::__private::TypedMessage>::KEY,
    ];
    type View<'a> = MarketDataView<'a>;
    #[inline]
    fn put_view_key(view: &MarketDataView<'_>, out: &mut ::bcast::__private::Vec<u8>) {
        #[allow(unreachable_patterns)]
        match view {
            MarketDataView::Quote(view) => {
                <Quote as ::bcast::__private::TypedMessage>::put_view_key(view, out)
            }
            _ => {}
        }
    }
    #[inline]
    #[allow(unreachable_patterns)]
    fn type_index(tag: u32) -> ::bcast::__private::Option<usize> {
        match tag {
            <Quote as ::bcast::__private::TypedMessage>::TAG => {
                ::bcast::__private::Option::Some(0usize)
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
            _ => ::core::unreachable!("the channel derive reported an error"),
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
/// Names the variant only: archived types need not implement `Debug`.
#[automatically_derived]
impl ::core::fmt::Debug for MarketDataView<'_> {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match self {
            Self::Quote(_) => f.debug_tuple("Quote").finish_non_exhaustive(),
        }
    }
}
#[allow(dead_code)]
impl MarketDataView<'_> {
    /// The message type's name, as in the channel's registry.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Quote(_) => <Quote as ::bcast::__private::Schema>::SHAPE.name(),
        }
    }
    /// The message type's tag.
    pub fn tag(&self) -> u32 {
        match self {
            Self::Quote(_) => <Quote as ::bcast::__private::TypedMessage>::TAG,
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
    {
        match self {
            Self::Quote(view) => {
                <Quote as ::bcast::__private::ToMessage>::to_message(view)
                    .map(MarketData::Quote)
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
    {
        match self {
            Self::Quote(view) => ::bcast::__private::json_line::<Quote>(view),
        }
    }
}
