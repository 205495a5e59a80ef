//! The IMAP mailbox against a real Dovecot on loopback, started by
//! `scripts/dovecot.sh` (which `scripts/test.sh` runs): plain IMAP on
//! loopback, IMAP over TLS with the test CA, a TLS server not trusted, a
//! wrong password.
//!
//! Without `COUNTERSIGN_TEST_IMAP_URL` the tests print SKIPPED and pass;
//! with `CI` set they fail instead.

use countersign_mailbox::{ImapConfig, ImapMailbox, MailboxError};
use std::path::PathBuf;

struct Server {
    plain: String,
    tls: String,
    password: String,
    ca: PathBuf,
}

fn server(test: &str) -> Option<Server> {
    let Ok(plain) = std::env::var("COUNTERSIGN_TEST_IMAP_URL") else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "COUNTERSIGN_TEST_IMAP_URL is not set but CI is: the IMAP tests must run in CI (see scripts/dovecot.sh)"
            );
        }
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("SKIPPED: IMAP tests (set COUNTERSIGN_TEST_IMAP_* via scripts/dovecot.sh) [{test}]\n").as_bytes(),
        );
        return None;
    };
    Some(Server {
        plain,
        tls: std::env::var("COUNTERSIGN_TEST_IMAPS_URL").expect("COUNTERSIGN_TEST_IMAPS_URL"),
        password: std::env::var("COUNTERSIGN_TEST_IMAP_PASSWORD")
            .expect("COUNTERSIGN_TEST_IMAP_PASSWORD"),
        ca: std::env::var("COUNTERSIGN_TEST_IMAP_CA")
            .expect("COUNTERSIGN_TEST_IMAP_CA")
            .into(),
    })
}

/// The URL with another mailbox.
fn in_folder(url: &str, folder: &str) -> String {
    let (base, _) = url.rsplit_once('/').unwrap();
    format!("{base}/{folder}")
}

fn message(n: usize) -> Vec<u8> {
    format!(
        "From: reports@receiver.example\r\nTo: dmarc@example.com\r\nSubject: report {n}\r\nMessage-ID: <{n}.{}@receiver.example>\r\n\r\nbody {n}\r\n",
        std::process::id()
    )
    .into_bytes()
}

/// A fresh folder holding `n` messages; returns the URL that selects it.
async fn folder_with(s: &Server, name: &str, n: usize) -> String {
    let folder = format!("{name}-{}", std::process::id());
    let mut inbox =
        ImapMailbox::connect(ImapConfig::from_url(&s.plain, s.password.clone(), None).unwrap())
            .await
            .unwrap();
    inbox.create(&folder).await.unwrap();
    for i in 0..n {
        inbox.append(&folder, &message(i)).await.unwrap();
    }
    inbox.logout().await.unwrap();
    in_folder(&s.plain, &folder)
}

#[tokio::test]
async fn plain_loopback_fetch_mark_and_move() {
    let Some(s) = server("plain_loopback_fetch_mark_and_move") else {
        return;
    };
    let url = folder_with(&s, "plain", 4).await;
    let mut mb =
        ImapMailbox::connect(ImapConfig::from_url(&url, s.password.clone(), None).unwrap())
            .await
            .unwrap();
    let uids = mb.unseen(100).await.unwrap();
    assert_eq!(uids.len(), 4);
    let (messages, too_large) = mb.fetch(&uids, 1 << 20).await.unwrap();
    assert!(too_large.is_empty());
    assert_eq!(messages.len(), 4);
    for (i, m) in messages.iter().enumerate() {
        assert_eq!(m.raw, message(i), "message {i} comes back byte for byte");
    }
    // Fetching did not mark them seen.
    assert_eq!(mb.unseen(100).await.unwrap().len(), 4);
    // A bound on size keeps large messages out.
    let (small, large) = mb.fetch(&uids, 10).await.unwrap();
    assert!(small.is_empty());
    assert_eq!(large.len(), 4);
    mb.mark_seen(&uids[..1]).await.unwrap();
    mb.mark_failed(&uids[1..2]).await.unwrap();
    let processed = format!("{}-done", mb.mailbox());
    mb.move_to(&uids[2..], &processed).await.unwrap();
    assert!(mb.unseen(100).await.unwrap().is_empty());
    assert_eq!(mb.count(&processed).await.unwrap(), 2);
    assert_eq!(mb.count(mb.mailbox().to_owned().as_str()).await.unwrap(), 2);
    mb.logout().await.unwrap();
}

#[tokio::test]
async fn tls_with_the_test_ca() {
    let Some(s) = server("tls_with_the_test_ca") else {
        return;
    };
    let plain = folder_with(&s, "tls", 2).await;
    let folder = plain.rsplit_once('/').unwrap().1.to_owned();
    let url = in_folder(&s.tls, &folder);
    let mut mb = ImapMailbox::connect(
        ImapConfig::from_url(&url, s.password.clone(), Some(s.ca.clone())).unwrap(),
    )
    .await
    .unwrap();
    let uids = mb.unseen(10).await.unwrap();
    let (messages, _) = mb.fetch(&uids, 1 << 20).await.unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].raw, message(1));
    mb.logout().await.unwrap();
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let Some(s) = server("an_untrusted_certificate_is_refused") else {
        return;
    };
    // The system's roots do not include the test CA.
    let e = ImapMailbox::connect(ImapConfig::from_url(&s.tls, s.password.clone(), None).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(e, MailboxError::Tls { .. }), "{e}");
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let Some(s) = server("a_wrong_password_is_refused") else {
        return;
    };
    let e = ImapMailbox::connect(ImapConfig::from_url(&s.plain, "wrong".into(), None).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(e, MailboxError::Login { .. }), "{e}");
}
