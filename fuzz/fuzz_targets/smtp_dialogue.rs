//! The SMTP dialogue under arbitrary client bytes: no panic, and the
//! bounds hold whatever is sent (no message over the size limit, no reply
//! without a code, output proportional to input).
#![no_main]

use countersign_smtp_protocol::{MAX_LINE, Rules, replay};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte chooses how the input is cut into reads and what
    // the installation offers; the rest is what the client sends.
    let Some((&knobs, transcript)) = data.split_first() else {
        return;
    };
    let rules = Rules {
        hostname: "mx.fuzz.test".into(),
        max_message_bytes: 2048,
        max_recipients: 4,
        max_bad_commands: 8,
        tls_offered: knobs & 0x40 != 0,
        require_tls: knobs & 0x20 != 0,
    };
    let chunk = usize::from(knobs & 0x1f) * 37 + 1;
    let (out, messages) = replay(rules, knobs & 0x80 != 0, transcript, chunk);
    for m in &messages {
        assert!(
            m.raw.len() <= 2048,
            "a message over the size limit was accepted"
        );
    }
    let text = String::from_utf8_lossy(&out);
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(
            line.len() >= 3 && line.as_bytes()[..3].iter().all(u8::is_ascii_digit),
            "a reply line without a code: {line:?}"
        );
    }
    // Each command line earns a bounded answer (EHLO is the longest).
    let lines = transcript.iter().filter(|&&b| b == b'\n').count();
    let reads = transcript.len() / MAX_LINE + 1;
    assert!(
        out.len() <= 512 * (lines + reads + 2),
        "output out of proportion to input"
    );
});
