//! [`StaffStore`]: one-time staff invites, the staff of a company, report assignments, and the
//! sealed phone of a user (for SMS to residents). The rules (who may invite, who may be
//! assigned, expiry) live in `crate::staff`; the store offers the atomic primitives.

use async_trait::async_trait;
use connect_core::ids::{CompanyId, ReportId, UserId};

use super::{NewEvent, StoreError};

/// An invite about to be stored. The link carries a random token; only its hash is kept.
#[derive(Debug, Clone)]
pub struct NewInvite {
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// The company the link joins.
    pub company_id: CompanyId,
    /// Who is invited ("Chief engineer").
    pub name: String,
    /// Where the link is mailed, if anywhere.
    pub email: Option<String>,
    /// The inviting user (`None`: the server, on a company's first report).
    pub created_by: Option<UserId>,
    /// Now (unix millis).
    pub created_ms: i64,
    /// The link stops working then.
    pub expires_ms: i64,
}

/// A stored invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteRecord {
    /// The company the link joins.
    pub company_id: CompanyId,
    /// Who is invited.
    pub name: String,
    /// Created (unix millis).
    pub created_ms: i64,
    /// Expiry (unix millis).
    pub expires_ms: i64,
    /// When it was used, if it was.
    pub used_ms: Option<i64>,
}

/// The outcome of [`StaffStore::redeem_invite`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// The user is now staff of this company.
    Joined(CompanyId),
    /// No invite with this token.
    Unknown,
    /// Past its expiry.
    Expired,
    /// Used before (by anyone).
    AlreadyUsed,
}

/// One staff member: a user holding the company-staff grant for the company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    /// The user.
    pub user_id: UserId,
    /// The name from their invite (`None` for staff granted by an admin).
    pub name: Option<String>,
    /// Their sealed phone number (AES-GCM, see `crypto`).
    pub phone_sealed: Vec<u8>,
}

/// Invites, staff, assignments.
#[async_trait]
pub trait StaffStore: Send + Sync {
    /// Stores an invite.
    async fn create_invite(&self, invite: NewInvite) -> Result<(), StoreError>;
    /// Stores the invite only when the company has no staff and no live invite (unused, not
    /// expired at `created_ms`), in one transaction; true when stored. Two reports filed at
    /// once send one link.
    async fn create_first_invite(&self, invite: NewInvite) -> Result<bool, StoreError>;
    /// An invite by the hash of its token.
    async fn invite(&self, token_hash: Vec<u8>) -> Result<Option<InviteRecord>, StoreError>;
    /// Uses an invite once: marks it used by `user`, grants company staff and records the name,
    /// all in one transaction. Exactly one of concurrent redemptions joins.
    async fn redeem_invite(
        &self,
        token_hash: Vec<u8>,
        user: UserId,
        now_ms: i64,
    ) -> Result<Redeemed, StoreError>;
    /// Every staff member of a company, by user id.
    async fn staff(&self, company: CompanyId) -> Result<Vec<StaffRecord>, StoreError>;
    /// Assigns (or reassigns) a report and appends the event, in one transaction; false when
    /// the report is missing.
    async fn assign_report(
        &self,
        id: ReportId,
        assignee: UserId,
        event: NewEvent,
    ) -> Result<bool, StoreError>;
    /// Who a report is assigned to.
    async fn assignee(&self, id: ReportId) -> Result<Option<UserId>, StoreError>;
    /// Assignments of a company's reports: (report, user).
    async fn assignments(&self, company: CompanyId) -> Result<Vec<(ReportId, UserId)>, StoreError>;
    /// The sealed phone number of a user.
    async fn user_phone(&self, user: UserId) -> Result<Option<Vec<u8>>, StoreError>;
}
