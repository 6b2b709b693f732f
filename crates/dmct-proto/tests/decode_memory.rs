//! Decoding costs a bounded multiple of the body, whatever its shape: many tiny
//! commands, in XML and in WBXML, or one huge datum. dhat's counting allocator
//! measures the peak bytes held while decoding (deterministic, not timed), so a
//! representation that grows per element fails here before it reaches a user's
//! 15 MB body.

use std::sync::Mutex;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// The profiler counts every thread: each test holds this from its start, so no other
/// test allocates while one measures.
static ONE: Mutex<()> = Mutex::new(());

/// Peak bytes held while `f` runs, counting from a profiler started just before it.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let _profiler = dhat::Profiler::builder().testing().build();
    let base = dhat::HeapStats::get().curr_bytes;
    let out = f();
    (out, dhat::HeapStats::get().max_bytes.saturating_sub(base))
}

fn tiny_gets(n: usize) -> Vec<u8> {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SyncML xmlns=\"SYNCML:SYNCML1.2\">\
         <SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID>\
         <MsgID>1</MsgID><Target><LocURI>IMEI:1</LocURI></Target><Source>\
         <LocURI>http://dm.example/dm</LocURI></Source></SyncHdr><SyncBody>",
    );
    for i in 1..=n {
        s.push_str(&format!(
            "<Get><CmdID>{i}</CmdID><Item><Target><LocURI>./a</LocURI></Target></Item></Get>"
        ));
    }
    s.push_str("<Final/></SyncBody></SyncML>");
    s.into_bytes()
}

/// The bound, in multiples of the body, with a little headroom over what decoding
/// costs today per tiny Get (12.1x measured: the element tree, about 10x alone, then
/// the typed model as the tree is given up, and the raw copy). Meta and Cred held
/// inline in every command (19.8x), or vectors with room for 4 Items, exceed it.
/// Issue 14 aims at 10x, which needs a smaller tree.
const XML_RATIO: usize = 14;
/// A tiny Get is 4 times smaller in WBXML than in XML; its tree and model are not
/// (44.4x measured).
const WBXML_RATIO: usize = 50;

#[test]
fn many_tiny_commands_in_xml_cost_a_bounded_multiple_of_the_body() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let body = tiny_gets(12_500);
    assert!(body.len() > 1_000_000, "{}", body.len());
    let (d, peak) = peak_of(|| dmct_proto::decode(&body).map(|d| d.message.body.commands.len()));
    assert_eq!(d, Ok(12_500));
    eprintln!("xml tiny: {:.1}x", peak as f64 / body.len() as f64);
    assert!(
        peak <= XML_RATIO * body.len(),
        "decoding {} bytes held {peak} bytes at its peak ({}x)",
        body.len(),
        peak / body.len()
    );
}

#[test]
fn many_tiny_commands_in_wbxml_cost_a_bounded_multiple_of_the_body() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let xml = tiny_gets(50_000);
    let message = dmct_proto::decode(&xml).unwrap().message;
    let body = dmct_proto::encode(&message, dmct_proto::xml::Encoding::Wbxml);
    drop((xml, message));
    assert!(body.len() > 1_000_000, "{}", body.len());
    let (d, peak) = peak_of(|| dmct_proto::decode(&body).map(|d| d.message.body.commands.len()));
    assert_eq!(d, Ok(50_000));
    eprintln!("wbxml tiny: {:.1}x", peak as f64 / body.len() as f64);
    assert!(
        peak <= WBXML_RATIO * body.len(),
        "decoding {} bytes held {peak} bytes at its peak ({}x)",
        body.len(),
        peak / body.len()
    );
}

#[test]
fn one_huge_datum_costs_a_small_multiple_of_the_body() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let data = "x".repeat(4_000_000);
    let xml = String::from_utf8(tiny_gets(0)).unwrap().replace(
        "<Final/>",
        &format!("<Replace><CmdID>1</CmdID><Item><Source><LocURI>./a</LocURI></Source><Data>{data}</Data></Item></Replace><Final/>"),
    );
    drop(data);
    let wbxml = {
        let m = dmct_proto::decode(xml.as_bytes()).unwrap().message;
        dmct_proto::encode(&m, dmct_proto::xml::Encoding::Wbxml)
    };
    for body in [xml.as_bytes(), &wbxml[..]] {
        let (d, peak) = peak_of(|| dmct_proto::decode(body).map(|d| d.message.body.commands.len()));
        assert_eq!(d, Ok(1));
        eprintln!("huge: {:.2}x", peak as f64 / body.len() as f64);
        assert!(
            peak <= 3 * body.len(),
            "decoding {} bytes held {peak} bytes at its peak",
            body.len()
        );
    }
}
