//! Decoding costs a bounded multiple of the body, whatever its shape: many tiny
//! commands, in XML and in WBXML, or one huge datum. dhat's counting allocator
//! measures the peak bytes held while decoding (deterministic, not timed), so a
//! representation that grows per element fails here before it reaches a user's
//! 15 MB body. The bounds are multiples of the body, the same at 100 KB as at several
//! MB (the model costs the same per command whatever the count), so the bodies stay
//! small enough for a debug build under the counting allocator. Measured as `dmct
//! check` decodes, from bytes it shares (`decode_shared`); `decode` from a slice adds
//! one copy of the body.

use std::sync::Mutex;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// The profiler counts every thread: each test holds this from its start, so no other
/// test allocates while one measures.
static ONE: Mutex<()> = Mutex::new(());

/// Peak bytes held while decoding `body` shared, and while decoding it from a slice
/// (one more copy: what the decoded message keeps), each from a profiler started
/// just before it; the number of commands decoded.
fn peaks(body: &[u8]) -> (usize, usize, usize) {
    let shared = bytes::Bytes::copy_from_slice(body);
    let (n, peak) =
        peak_of(|| dmct_proto::decode_shared(&shared).map(|d| d.message.body.commands.len()));
    let (n2, copying) = peak_of(|| dmct_proto::decode(body).map(|d| d.message.body.commands.len()));
    assert_eq!(n, n2);
    assert!(
        copying <= peak + body.len() + body.len() / 100,
        "{copying} {peak}"
    );
    (n.unwrap(), peak, copying)
}

/// Peak bytes held while `f` runs, counting from a profiler started just before it.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let _profiler = dhat::Profiler::builder()
        .testing()
        .trim_backtraces(Some(4))
        .build();
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
/// costs per tiny Get (80 bytes of XML): 2.13x measured (3.11x decoding from a slice).
/// Each command is mapped as the parser closes it, so only the model stays: a Command
/// (56 bytes, its CmdID inline), its one Item (104, the LocURI inline) and its span
/// (8), about 170 bytes per command whatever the body; the multiple is set by the
/// encoding. Every list is allocated at its length, so the process holds what is
/// counted here (see `WBXML_ALLOCATED_PER_GET`).
const XML_RATIO: f64 = 2.3;
/// A tiny Get is 22 bytes of WBXML, and its model the same 170 bytes: 8.20x measured
/// at 5,000 commands.
/// Issue 17's 4x would need under 88 bytes a command, body included. A smaller owned
/// layout does not get there: the two inline texts and the span alone are 40 bytes,
/// an Item with nothing but a Target 104. Commands kept as spans of the body and
/// decoded when the rules read them would, at about 8 bytes a command.
const WBXML_RATIO: f64 = 8.6;
const HUGE_RATIO: f64 = 1.1;

fn ratio(peak: usize, body: &[u8]) -> f64 {
    peak as f64 / body.len() as f64
}

#[test]
fn many_tiny_commands_in_xml_cost_a_bounded_multiple_of_the_body() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let body = tiny_gets(3_000);
    assert!(body.len() > 200_000, "{}", body.len());
    let (n, peak, copying) = peaks(&body);
    assert_eq!(n, 3_000);
    let (shared, copied) = (ratio(peak, &body), ratio(copying, &body));
    eprintln!("xml tiny: {shared:.2}x shared, {copied:.2}x copying");
    assert!(
        shared <= XML_RATIO,
        "decoding held {shared:.2}x the body at its peak"
    );
}

#[test]
fn many_tiny_commands_in_wbxml_cost_a_bounded_multiple_of_the_body() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let xml = tiny_gets(5_000);
    let message = dmct_proto::decode(&xml).unwrap().message;
    let body = dmct_proto::encode(&message, dmct_proto::xml::Encoding::Wbxml);
    drop((xml, message));
    assert!(body.len() > 100_000, "{}", body.len());
    let (n, peak, copying) = peaks(&body);
    assert_eq!(n, 5_000);
    let (shared, copied) = (ratio(peak, &body), ratio(copying, &body));
    eprintln!("wbxml tiny: {shared:.2}x shared, {copied:.2}x copying");
    assert!(
        shared <= WBXML_RATIO,
        "decoding held {shared:.2}x the body at its peak"
    );
}

#[test]
fn one_huge_datum_costs_a_small_multiple_of_the_body() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let data = "x".repeat(400_000);
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
        let (n, peak, copying) = peaks(body);
        assert_eq!(n, 1);
        let (shared, copied) = (ratio(peak, body), ratio(copying, body));
        eprintln!("huge: {shared:.2}x shared, {copied:.2}x copying");
        assert!(
            shared <= HUGE_RATIO,
            "decoding held {shared:.2}x the body at its peak"
        );
    }
}

/// Bytes allocated while decoding one tiny Get of WBXML, whatever was freed since:
/// measured 2,058. Every list is sized as it is read, so none is grown to room for 4
/// (448 bytes for children, Items) and shrunk back: at 4,636 a command each shrink
/// left a hole beside what the model kept, which the counted peak does not see, and
/// the process held twice the model (323 MB of RSS for 15 MB of Gets, now 149 MB).
const WBXML_ALLOCATED_PER_GET: usize = 2_200;

#[test]
fn decoding_tiny_commands_allocates_no_room_it_gives_back() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let xml = tiny_gets(2_000);
    let message = dmct_proto::decode(&xml).unwrap().message;
    let body = bytes::Bytes::from(dmct_proto::encode(
        &message,
        dmct_proto::xml::Encoding::Wbxml,
    ));
    let _profiler = dhat::Profiler::builder().testing().build();
    let before = dhat::HeapStats::get().total_bytes;
    let n = dmct_proto::decode_shared(&body)
        .unwrap()
        .message
        .body
        .commands
        .len();
    let per = (dhat::HeapStats::get().total_bytes - before) as usize / n;
    eprintln!("wbxml tiny: {per} bytes allocated a command");
    assert!(
        per <= WBXML_ALLOCATED_PER_GET,
        "{per} bytes allocated a command"
    );
}

/// What `dmct check` decodes keeps the transcript's bytes, not a copy of them.
#[test]
fn a_shared_body_is_kept_not_copied() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let body = bytes::Bytes::from(tiny_gets(3));
    let d = dmct_proto::decode_shared(&body).unwrap();
    assert_eq!(d.raw.as_ptr(), body.as_ptr());
    let copied = dmct_proto::decode(&body).unwrap();
    assert_ne!(copied.raw.as_ptr(), body.as_ptr());
    assert_eq!((copied.message, copied.spans), (d.message, d.spans));
}
