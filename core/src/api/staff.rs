//! Wire types of the managing company's staff: one-time invite links, the staff list, and
//! assigning a report to a staff member.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CompanyId, UserId};

/// `POST /v1/company/staff/invites`: invite one more staff member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteStaffRequest {
    /// The company; staff of exactly one company may omit it, an admin must name it.
    #[serde(default)]
    pub company_id: Option<CompanyId>,
    /// Who is invited, as colleagues will see them ("Anna, plumber").
    pub name: String,
    /// Mail the link there too; without it the inviter passes the link on.
    #[serde(default)]
    pub email: Option<String>,
}

/// The answer to an invite: the one-time link (valid once, until `expires_at`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteStaffResponse {
    /// The company the link joins.
    pub company_id: CompanyId,
    /// `https://<host>/invite/<token>`.
    pub url: String,
    /// The link stops working then.
    pub expires_at: DateTime<Utc>,
    /// True when the link was handed to the mail sender.
    pub mailed: bool,
}

/// `POST /v1/invites/{token}/accept`: the caller is now staff of this company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcceptInviteResponse {
    /// The company joined.
    pub company_id: CompanyId,
    /// Its name.
    pub company_name: String,
}

/// One staff member of a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffMember {
    /// The user (what `AssignRequest` names).
    pub user_id: UserId,
    /// Name given in the invite; `None` for staff granted by an admin.
    pub name: Option<String>,
    /// The phone with all but the last four digits hidden.
    pub phone_hint: String,
}

/// `GET /v1/company/staff`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffResponse {
    /// The company.
    pub company_id: CompanyId,
    /// Its staff, by name.
    pub staff: Vec<StaffMember>,
}

/// `POST /v1/company/reports/{id}/assign`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignRequest {
    /// A staff member of the report's company.
    pub user_id: UserId,
}

/// The answer to an assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignResponse {
    /// The report.
    pub report_id: crate::ids::ReportId,
    /// Who works on it now.
    pub assignee: StaffMember,
}
