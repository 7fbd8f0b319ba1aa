//! [`StaffStore`] on SQLite. Every check-then-write runs on the single writer inside one
//! transaction, so "first invite only" and "one redemption" need no further locking.

use async_trait::async_trait;
use connect_core::{
    auth::Role,
    ids::{CompanyId, ReportId, UserId},
};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, classify, reports, uuid_col};
use crate::store::{
    InviteRecord, NewEvent, NewInvite, Redeemed, StaffRecord, StaffStore, StoreError,
};

fn insert_invite(tx: &rusqlite::Transaction<'_>, i: &NewInvite) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO staff_invites (token_hash, company_id, name, email, created_by, created_ms,
            expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            i.token_hash,
            i.company_id.0,
            i.name,
            i.email,
            i.created_by.map(|u| u.0.to_string()),
            i.created_ms,
            i.expires_ms
        ],
    )
    .map_err(classify)?;
    Ok(())
}

#[async_trait]
impl StaffStore for SqliteStore {
    async fn create_invite(&self, invite: NewInvite) -> Result<(), StoreError> {
        self.write(move |tx| insert_invite(tx, &invite)).await
    }

    async fn create_first_invite(&self, invite: NewInvite) -> Result<bool, StoreError> {
        self.write(move |tx| {
            let busy: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM user_roles WHERE role = ?1 AND scope = ?2)
                     OR EXISTS(SELECT 1 FROM staff_invites WHERE company_id = ?2
                               AND used_ms IS NULL AND expires_ms > ?3)",
                params![
                    Role::CompanyStaff.as_str(),
                    invite.company_id.0,
                    invite.created_ms
                ],
                |r| r.get(0),
            )?;
            if busy {
                return Ok(false);
            }
            insert_invite(tx, &invite)?;
            Ok(true)
        })
        .await
    }

    async fn invite(&self, token_hash: Vec<u8>) -> Result<Option<InviteRecord>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT company_id, name, created_ms, expires_ms, used_ms FROM staff_invites
                     WHERE token_hash = ?1",
                    [token_hash],
                    |r| {
                        Ok(InviteRecord {
                            company_id: CompanyId(r.get(0)?),
                            name: r.get(1)?,
                            created_ms: r.get(2)?,
                            expires_ms: r.get(3)?,
                            used_ms: r.get(4)?,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    async fn redeem_invite(
        &self,
        token_hash: Vec<u8>,
        user: UserId,
        now_ms: i64,
    ) -> Result<Redeemed, StoreError> {
        self.write(move |tx| {
            let found: Option<(String, String, i64, Option<i64>)> = tx
                .query_row(
                    "SELECT company_id, name, expires_ms, used_ms FROM staff_invites
                     WHERE token_hash = ?1",
                    [&token_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((company, name, expires_ms, used_ms)) = found else {
                return Ok(Redeemed::Unknown);
            };
            if used_ms.is_some() {
                return Ok(Redeemed::AlreadyUsed);
            }
            if now_ms >= expires_ms {
                return Ok(Redeemed::Expired);
            }
            let uid = user.0.to_string();
            tx.execute(
                "UPDATE staff_invites SET used_ms = ?2, used_by = ?3 WHERE token_hash = ?1",
                params![token_hash, now_ms, uid],
            )?;
            tx.execute(
                "INSERT INTO user_roles (user_id, role, scope) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![uid, Role::CompanyStaff.as_str(), company],
            )
            .map_err(classify)?;
            tx.execute(
                "INSERT INTO staff_members (company_id, user_id, name, joined_ms)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (company_id, user_id) DO UPDATE SET name = excluded.name",
                params![company, uid, name, now_ms],
            )
            .map_err(classify)?;
            Ok(Redeemed::Joined(CompanyId(company)))
        })
        .await
    }

    async fn staff(&self, company: CompanyId) -> Result<Vec<StaffRecord>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT u.id, m.name, u.phone_enc FROM user_roles g
                 JOIN users u ON u.id = g.user_id
                 LEFT JOIN staff_members m ON m.user_id = g.user_id AND m.company_id = g.scope
                 WHERE g.role = ?1 AND g.scope = ?2 ORDER BY u.id",
            )?;
            let rows = stmt
                .query_map(params![Role::CompanyStaff.as_str(), company.0], |r| {
                    Ok(StaffRecord {
                        user_id: UserId(uuid_col(r, 0)?),
                        name: r.get(1)?,
                        phone_sealed: r.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn assign_report(
        &self,
        id: ReportId,
        assignee: UserId,
        event: NewEvent,
    ) -> Result<bool, StoreError> {
        self.write(move |tx| {
            if reports::load(tx, id)?.is_none() {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO report_assignments (report_id, user_id, assigned_ms)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT (report_id) DO UPDATE SET user_id = excluded.user_id,
                    assigned_ms = excluded.assigned_ms",
                params![id.0.to_string(), assignee.0.to_string(), event.at_ms],
            )
            .map_err(classify)?;
            reports::append_event(tx, id, None, &event)?;
            Ok(true)
        })
        .await
    }

    async fn assignee(&self, id: ReportId) -> Result<Option<UserId>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT user_id FROM report_assignments WHERE report_id = ?1",
                    [id.0.to_string()],
                    |r| uuid_col(r, 0).map(UserId),
                )
                .optional()?)
        })
        .await
    }

    async fn assignments(&self, company: CompanyId) -> Result<Vec<(ReportId, UserId)>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT a.report_id, a.user_id FROM report_assignments a
                 JOIN reports r ON r.id = a.report_id WHERE r.company_id = ?1
                 ORDER BY a.report_id",
            )?;
            let rows = stmt
                .query_map([company.0], |r| {
                    Ok((ReportId(uuid_col(r, 0)?), UserId(uuid_col(r, 1)?)))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn user_phone(&self, user: UserId) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT phone_enc FROM users WHERE id = ?1",
                    [user.0.to_string()],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }
}
