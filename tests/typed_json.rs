//! Feature `serde`: views rendered as JSON lines, and the registry as JSON.
#![cfg(feature = "serde")]

mod common;

use common::feed::{Feed, Level, Quote, Trade};
use common::heap_channel;

#[test]
fn views_render_as_json_lines() -> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = heap_channel::<Feed>(4096)?;
    let levels = vec![Level { price: 1.25, qty: 2 }];
    publisher.publish(&Quote { symbol: "ES".into(), bid: 1.5, levels, venue: None, id: 7 })?;
    publisher.publish(&Trade { price: 2.25, qty: 3 })?;
    let lines: Vec<String> = subscriber
        .batch_iter()
        .map(|view| Ok(view?.to_json_line()?))
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    assert_eq!(
        lines,
        [
            concat!(
                r#"{"type":"Quote","tag":1,"value":{"symbol":"ES","bid":1.5,"#,
                r#""levels":[{"price":1.25,"qty":2}],"venue":null,"id":7}}"#
            ),
            r#"{"type":"Trade","tag":2,"value":{"price":2.25,"qty":3}}"#,
        ]
    );
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line)?;
        assert!(value["value"].is_object());
    }
    Ok(())
}

#[test]
fn the_registry_renders_as_json_and_as_text() -> Result<(), Box<dyn std::error::Error>> {
    let registry = bcast::typed::Registry::of::<Feed>();
    let json: serde_json::Value = serde_json::from_str(&registry.to_json())?;
    assert_eq!(json["channel"], "Feed");
    assert_eq!(json["types"][1]["name"], "Trade");
    assert_eq!(json["types"][1]["codec"], "pod");
    assert_eq!(json["rkyv_format"]["minor"], 8);
    let text = registry.to_string();
    assert!(
        text.lines().nth(2).is_some_and(|line| line.trim_start().starts_with("1  rkyv")),
        "{text}"
    );
    Ok(())
}
