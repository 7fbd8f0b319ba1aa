//! `connect partner …`: the desktop till of a partner shop.
//!
//! - `connect partner login --phone P [--code C]`: the cashier logs in by SMS code, like
//!   `connect login`, and the till learns its partner and the server's voucher keys.
//! - `connect partner redeem --image FILE | --camera N`: scan the voucher on the resident's
//!   phone, check it offline (genuine, not expired, for this shop), redeem it online, and print
//!   the outcome with a clear reason on refusal (forged, expired, wrong partner, already
//!   redeemed). A lost answer is retried with the same attempt id; when the server stays silent
//!   the till prints the attempt id to retry with (`--attempt`), which never debits twice.
//!   Exit status: 0 redeemed, 2 refused (the reason is printed), 1 anything else.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use connect_core::{
    app::{AppError, ConnectApp},
    ids::PartnerId,
    points::{RedeemState, VoucherError, voucher::VOUCHER_VERSION},
    qr::DecodedCode,
};
use uuid::Uuid;

use crate::{scan, session::AppArgs};

/// `connect partner …`
#[derive(Debug, Args)]
pub struct PartnerArgs {
    #[command(subcommand)]
    pub command: PartnerCommand,
    #[command(flatten)]
    pub app: AppArgs,
}

/// The till's subcommands.
#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Log the cashier in by SMS code (request a code, then run again with --code).
    Login(LoginArgs),
    /// Scan a voucher, check it offline, redeem it online and print the outcome.
    Redeem(RedeemArgs),
}

/// `connect partner login`
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The cashier's phone number with country code.
    #[arg(long)]
    pub phone: String,
    /// The code from the SMS; without it, a code is requested.
    #[arg(long)]
    pub code: Option<String>,
}

/// `connect partner redeem`
#[derive(Debug, Args)]
pub struct RedeemArgs {
    /// A photo or screenshot of the voucher (PNG or JPEG).
    #[arg(long, conflicts_with = "camera", required_unless_present = "camera")]
    pub image: Option<PathBuf>,
    /// Camera index to scan with (needs the `camera` feature).
    #[arg(long)]
    pub camera: Option<u32>,
    /// The shop redeeming (default: the cashier's partner from the server).
    #[arg(long)]
    pub partner: Option<String>,
    /// Retry an earlier redemption whose outcome was unknown, with its attempt id.
    #[arg(long)]
    pub attempt: Option<Uuid>,
}

/// Exit status of `connect partner redeem` when the voucher is refused (the reason is printed):
/// a normal outcome at a till, distinct from a failure (1).
const EXIT_REFUSED: i32 = 2;

/// Runs `connect partner …`.
pub fn run(args: &PartnerArgs) -> Result<()> {
    let app = args.app.open()?;
    let refused = match &args.command {
        PartnerCommand::Login(login) => cashier_login(&app, login).map(|()| false),
        PartnerCommand::Redeem(redeem) => redeem_voucher(&app, redeem),
    }?;
    // Close the store and the runtime before leaving with the refusal status.
    drop(app);
    if refused {
        std::process::exit(EXIT_REFUSED);
    }
    Ok(())
}

fn cashier_login(app: &ConnectApp, args: &LoginArgs) -> Result<()> {
    let Some(code) = &args.code else {
        app.request_code(&args.phone)
            .context("requesting a login code")?;
        println!("A code was sent by SMS. Run again with --code <CODE>.");
        return Ok(());
    };
    app.verify_code(&args.phone, code).context("logging in")?;
    let Some(partner) = app
        .cashier_partner()
        .context("reading the cashier's shop")?
    else {
        app.logout()?;
        bail!(
            "this phone number is not a cashier of any partner shop; ask the operator for a grant"
        );
    };
    app.refresh_points().context("fetching the voucher keys")?;
    println!(
        "Logged in as a cashier of partner {}. Ready to redeem vouchers.",
        partner.0
    );
    Ok(())
}

/// Whether a scanned code is shaped like a voucher (its envelope carries the voucher tag), so a
/// till pointed at a busy counter ignores other QR codes.
fn looks_like_voucher(code: &DecodedCode) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(code.text.trim())
        .is_ok_and(|bytes| bytes.first() == Some(&VOUCHER_VERSION))
}

fn scanned_token(args: &RedeemArgs) -> Result<String> {
    if let Some(path) = &args.image {
        let codes = scan::decode_image(path)?;
        if codes.is_empty() {
            bail!("no QR code found in {}", path.display());
        }
        // A voucher if there is one; otherwise the first code, refused below as not a voucher.
        let code = codes
            .iter()
            .find(|c| looks_like_voucher(c))
            .unwrap_or(&codes[0]);
        return Ok(code.text.clone());
    }
    match args.camera {
        Some(index) => Ok(scan::first_camera_code(index, &looks_like_voucher)?.text),
        None => bail!("pass --image FILE or --camera N"),
    }
}

/// Redeems one scanned voucher; `Ok(true)` when it was refused (the reason is printed).
fn redeem_voucher(app: &ConnectApp, args: &RedeemArgs) -> Result<bool> {
    let partner = match &args.partner {
        Some(p) => PartnerId(p.clone()),
        None => match app.cashier_partner() {
            Ok(Some(p)) => p,
            Ok(None) => bail!("this login is not a cashier of any partner shop"),
            Err(AppError::NotLoggedIn) => {
                bail!("log in first: `connect partner login --phone …`")
            }
            Err(e) => return Err(e).context("reading the cashier's shop (or pass --partner)"),
        },
    };
    // Fresh keys when the server answers; the stored ones otherwise (the check stays offline).
    if let Err(error) = app.refresh_points() {
        eprintln!("could not refresh the voucher keys ({error}); using the stored ones");
    }
    let token = scanned_token(args)?;
    let attempt = args.attempt.unwrap_or_else(Uuid::now_v7);
    match app
        .redeem_scanned(&token, &partner, attempt)
        .context("redeeming")?
    {
        RedeemState::Accepted(r) => {
            println!(
                "REDEEMED: {} points, voucher {}, partner {}, at {} UTC",
                r.points,
                r.voucher_id.0,
                r.partner_id.0,
                r.redeemed_at.format("%Y-%m-%d %H:%M:%S")
            );
            Ok(false)
        }
        RedeemState::Refused(reason) => {
            println!("REFUSED ({}): {}", reason.code(), human(&reason));
            Ok(true)
        }
        RedeemState::Unknown { attempt_id, .. } => bail!(
            "NO ANSWER from the server: the outcome is unknown. Retry with \
             `connect partner redeem --attempt {attempt_id} …` (it never debits twice)"
        ),
        other => bail!("the redemption stopped in an unexpected state: {other:?}"),
    }
}

/// What the cashier should do, in one line.
fn human(reason: &VoucherError) -> String {
    let advice = match reason {
        VoucherError::Malformed => "scan the voucher on the customer's phone",
        VoucherError::UnknownKey => "run `connect partner login` again to update the keys",
        VoucherError::Forged => "do not accept it",
        VoucherError::Expired => "ask the customer to make a new voucher",
        VoucherError::WrongPartner => "it can only be used at the shop it names",
        VoucherError::AlreadyRedeemed => "it was already used; do not accept it again",
    };
    format!("{reason} — {advice}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn code(text: &str) -> DecodedCode {
        DecodedCode {
            text: text.into(),
            bytes: text.as_bytes().to_vec(),
            corners: [(0.0, 0.0); 4],
            charset: connect_core::qr::Charset::Utf8,
        }
    }

    #[test]
    fn only_codes_carrying_the_voucher_tag_look_like_vouchers() {
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        assert!(looks_like_voucher(&code(&b64(b"V\x00\x01payload"))));
        assert!(!looks_like_voucher(&code(&b64(b"\x01\x00\x01sticker"))));
        assert!(!looks_like_voucher(&code("https://example.org/p/abc")));
        assert!(!looks_like_voucher(&code("")));
    }
}
