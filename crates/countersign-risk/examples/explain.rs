//! What the request grammar saw in a message: clauses, word classes, acts.
//!
//! ```text
//! cargo run -p countersign-risk --example explain -- message.eml
//! ```

use countersign_risk::{MessageContent, Rulebook, assess, explain};

fn main() {
    let rules = Rulebook::default_rules();
    for path in std::env::args_os().skip(1) {
        let raw = match std::fs::read(&path) {
            Ok(raw) => raw,
            Err(e) => {
                eprintln!("{}: {e}", path.to_string_lossy());
                std::process::exit(1);
            }
        };
        let content = MessageContent::parse(&raw);
        println!("== {}", path.to_string_lossy());
        print!("{}", explain(&content, &rules));
        if !content.phone_numbers.is_empty() {
            println!("phone numbers: {}", content.phone_numbers.join(", "));
        }
        for f in assess(&content, &rules).findings {
            println!(
                "-> {} {} | {} | {}",
                f.rule, f.category, f.evidence.phrase, f.evidence.matched
            );
        }
    }
}
