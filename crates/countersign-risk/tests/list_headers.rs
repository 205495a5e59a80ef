//! Headers that name the sender and the list: mailing-list and bulk headers,
//! and a From display name written with an unquoted comma.

use countersign_risk::MessageContent;

#[test]
fn list_headers_are_read() {
    let raw = "From: Ann <ann@members.example>\r\n\
               Reply-To: forum@lists.example.org\r\n\
               List-ID: Members forum <forum.lists.example.org>\r\n\
               List-Post: <mailto:forum@lists.example.org>\r\n\
               list-unsubscribe: <https://lists.example.org/u>, <mailto:forum-leave@lists.example.org?subject=x>\r\n\
               Precedence: List\r\n\
               Subject: hello\r\n\r\nbody\r\n";
    let list = MessageContent::parse(raw.as_bytes()).list;
    assert_eq!(list.id.as_deref(), Some("forum.lists.example.org"));
    assert!(
        list.addresses
            .contains(&"forum@lists.example.org".to_owned())
    );
    assert!(
        list.addresses
            .contains(&"forum-leave@lists.example.org".to_owned())
    );
    assert!(list.unsubscribe);
    assert_eq!(list.precedence.as_deref(), Some("list"));
    assert!(list.is_list() && list.is_bulk());
}

#[test]
fn older_list_software_and_automated_mail() {
    let raw = "From: Bo <bo@example.net>\r\n\
               Mailing-List: list club@groups.example.com; contact club-owner@groups.example.com\r\n\
               Subject: hi\r\n\r\nbody\r\n";
    let list = MessageContent::parse(raw.as_bytes()).list;
    assert!(list.is_list());
    assert!(
        list.addresses
            .contains(&"club@groups.example.com".to_owned())
    );

    let raw = "From: noreply@shop.example\r\nAuto-Submitted: auto-generated\r\nSubject: x\r\n\r\nbody\r\n";
    let list = MessageContent::parse(raw.as_bytes()).list;
    assert!(!list.is_list() && list.is_bulk());

    let raw = "From: a@b.example\r\nAuto-Submitted: no\r\nSubject: x\r\n\r\nbody\r\n";
    let list = MessageContent::parse(raw.as_bytes()).list;
    assert!(!list.is_bulk());
}

#[test]
fn unquoted_comma_in_the_from_display_name() {
    let raw = "From: Doe, =?utf-8?q?J=C3=BCrgen?= <jd@example.org>\r\nSubject: x\r\n\r\nbody\r\n";
    let content = MessageContent::parse(raw.as_bytes());
    let from = content.from.unwrap();
    assert_eq!(from.address.as_deref(), Some("jd@example.org"));
    assert_eq!(from.name.as_deref(), Some("Doe, Jürgen"));
    assert!(content.defects.is_empty(), "{:?}", content.defects);

    let raw = "From: \"Doe, Jane\" <jane@example.org>\r\nSubject: x\r\n\r\nbody\r\n";
    let from = MessageContent::parse(raw.as_bytes()).from.unwrap();
    assert_eq!(from.name.as_deref(), Some("Doe, Jane"));
}
