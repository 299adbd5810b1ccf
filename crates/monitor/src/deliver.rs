//! Reaching people: e-mail over SMTP and webhooks, retried with back-off, every attempt
//! journaled in `deliveries`.
//!
//! A webhook body carries `text` — what Slack and Microsoft Teams incoming webhooks show —
//! beside the structured fields, and, when a secret is set, an `X-Embudo-Signature` header:
//! `sha256=` and the hex HMAC-SHA256 of the body under the secret, so a receiver can check
//! that the message came from this Embudo.

use crate::MonitorError;
use chrono::NaiveDateTime;
use embudo_store::Store;
use hmac::{Hmac, Mac};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use sha2::Sha256;
use std::time::Duration;

/// How to reach the SMTP server (`[smtp]` of `embudo.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `Embudo <reports@example.com>`.
    pub from: String,
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP: only for a relay on the same machine or network.
    None,
    /// Connect in the clear, then require STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl std::str::FromStr for Security {
    type Err = MonitorError;

    fn from_str(text: &str) -> Result<Security, MonitorError> {
        match text {
            "none" => Ok(Security::None),
            "starttls" => Ok(Security::StartTls),
            "tls" => Ok(Security::Tls),
            other => Err(MonitorError::Invalid(format!(
                "smtp security '{other}': use starttls, tls or none"
            ))),
        }
    }
}

/// Everything delivery needs besides the message.
#[derive(Debug, Clone)]
pub struct Settings {
    pub smtp: Option<Smtp>,
    /// The key webhook bodies are signed with (`None`: unsigned).
    pub webhook_secret: Option<String>,
    /// Tries per message and period before it is recorded as failed.
    pub attempts: u32,
    /// The wait after the first failed try, doubled after each further one.
    pub backoff: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            smtp: None,
            webhook_secret: None,
            attempts: 3,
            backoff: Duration::from_secs(2),
        }
    }
}

/// One e-mail: an HTML body with its plain-text alternative, and maybe one attachment.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// File name, MIME type and bytes.
    pub attachment: Option<(String, String, Vec<u8>)>,
}

/// What an attempt delivers, for the journal.
pub use embudo_store::monitor::DeliveryKey as Attempt;

/// An address a schedule or rule may send to: a valid e-mail address.
pub fn check_address(address: &str) -> Result<(), MonitorError> {
    address
        .parse::<lettre::Address>()
        .map(|_| ())
        .map_err(|e| MonitorError::Invalid(format!("'{address}' is not an e-mail address ({e})")))
}

/// A URL a webhook may go to: absolute, `http` or `https`, with a host.
pub fn check_webhook(url: &str) -> Result<(), MonitorError> {
    let parsed = url.parse::<ureq::http::Uri>().ok();
    let fine = parsed.is_some_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https"))
            && uri.host().is_some_and(|h| !h.is_empty())
    });
    if !fine {
        return Err(MonitorError::Invalid(format!(
            "webhook '{url}' must be an http:// or https:// URL with a host"
        )));
    }
    Ok(())
}

/// Send `email` through `smtp`.
pub fn send_email(smtp: &Smtp, email: &Email) -> Result<(), String> {
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|e| format!("smtp from '{}': {e}", smtp.from))?;
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|e| format!("recipient '{}': {e}", email.to))?;
    // Encoded explicitly: SMTP refuses lines over 998 bytes, and a report's HTML (inline
    // SVG) or CSV has longer ones.
    let encoded = |bytes: Vec<u8>, encoding| {
        Body::new_with_encoding(bytes, encoding).map_err(|_| "encoding the message".to_owned())
    };
    let body = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(encoded(
                    email.text.clone().into_bytes(),
                    ContentTransferEncoding::QuotedPrintable,
                )?),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(encoded(
                    email.html.clone().into_bytes(),
                    ContentTransferEncoding::Base64,
                )?),
        );
    let builder = Message::builder().from(from).to(to).subject(&email.subject);
    let message = match &email.attachment {
        Some((name, mime, bytes)) => {
            let kind = ContentType::parse(mime).map_err(|e| format!("{mime}: {e}"))?;
            let file = encoded(bytes.clone(), ContentTransferEncoding::Base64)?;
            builder.multipart(
                MultiPart::mixed()
                    .multipart(body)
                    .singlepart(Attachment::new(name.clone()).body(file, kind)),
            )
        }
        None => builder.multipart(body),
    }
    .map_err(|e| format!("building the message: {e}"))?;
    transport(smtp)?
        .send(&message)
        .map(|_| ())
        .map_err(|e| format!("smtp {}:{}: {e}", smtp.host, smtp.port))
}

fn transport(smtp: &Smtp) -> Result<SmtpTransport, String> {
    let builder = match smtp.security {
        Security::None => SmtpTransport::builder_dangerous(&smtp.host),
        Security::StartTls => SmtpTransport::starttls_relay(&smtp.host)
            .map_err(|e| format!("smtp {}: {e}", smtp.host))?,
        Security::Tls => {
            SmtpTransport::relay(&smtp.host).map_err(|e| format!("smtp {}: {e}", smtp.host))?
        }
    };
    let builder = builder
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(30)));
    let builder = match (&smtp.username, &smtp.password) {
        (Some(user), Some(password)) => {
            builder.credentials(Credentials::new(user.clone(), password.clone()))
        }
        _ => builder,
    };
    Ok(builder.build())
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// POST `body` as JSON to `url`, signed when there is a secret.
pub fn post_webhook(
    url: &str,
    body: &serde_json::Value,
    secret: Option<&str>,
) -> Result<(), String> {
    let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut request = agent.post(url).header("Content-Type", "application/json");
    if let Some(secret) = secret {
        request = request.header("X-Embudo-Signature", signature(secret, &bytes));
    }
    request
        .send(&bytes[..])
        .map(|_| ())
        .map_err(|e| format!("webhook {url}: {e}"))
}

/// Whether `what` was already delivered, or has failed so often that trying again would
/// only flood the server: three rounds of retries per period.
pub fn settled(
    store: &Store,
    what: &Attempt<'_>,
    settings: &Settings,
) -> Result<bool, MonitorError> {
    let (sent, failed) = store.delivery_tries(what)?;
    Ok(sent > 0 || failed >= 3 * i64::from(settings.attempts))
}

/// Try `send` up to `settings.attempts` times, waiting with `sleep` between (back-off
/// doubling), journaling each attempt at `now`. True when one got through.
pub fn with_retries(
    store: &Store,
    settings: &Settings,
    what: &Attempt<'_>,
    now: NaiveDateTime,
    sleep: &dyn Fn(Duration),
    mut send: impl FnMut() -> Result<(), String>,
) -> Result<bool, MonitorError> {
    let mut wait = settings.backoff;
    for attempt in 1..=settings.attempts.max(1) {
        let result = send();
        let outcome = result.as_ref().map(|_| ()).map_err(String::as_str);
        store.journal_delivery(what, i64::from(attempt), now, outcome)?;
        if result.is_ok() {
            return Ok(true);
        }
        if attempt < settings.attempts {
            sleep(wait);
            wait *= 2;
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_the_body() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn addresses_and_urls_are_checked_before_anything_is_sent() {
        assert!(check_address("ana@example.com").is_ok());
        assert!(check_address("ana at example.com").is_err());
        assert!(check_webhook("https://hooks.slack.com/services/T0/B0/X").is_ok());
        assert!(check_webhook("http://127.0.0.1:9000/hook").is_ok());
        for bad in [
            "hooks.slack.com/services",
            "ftp://example.com/x",
            "not a url",
        ] {
            let error = check_webhook(bad).unwrap_err().to_string();
            assert!(error.contains(bad), "{error}");
        }
    }
}
